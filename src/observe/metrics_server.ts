/**
 * The HTTP listener of `--metrics HOST:PORT`: `GET /metrics` in the
 * Prometheus text format (as Kamailio's xhttp_prom serves it),
 * `GET /healthz` (200, or 503 with the reasons in one line) and the status
 * page (`GET /`, its assets and its event stream: `status_page.ts`).
 * prom-client is loaded only when this listener starts.
 *
 * Any local user can connect to it, so it is an HTTP/1 server of its own on
 * `Deno.listen`, with bounds `Deno.serve` does not have: at most
 * {@link METRICS_MAX_CONNECTIONS} connections (a newcomer closes the oldest
 * one still sending its head, or is closed), a head of at most 8 KiB sent
 * within {@link HEAD_TIMEOUT_MS}, one answer per connection, each connection
 * closed {@link CONNECTION_MAX_MS} after it was accepted, and an accept()
 * that fails (out of descriptors) retried instead of ending the host.
 * Before, thousands of idle connections took every descriptor, and Deno.serve's
 * failed accept() ended the host (issue 21, second round). A connection
 * whose head asks for the page's event stream leaves these bounds for the
 * streams' own (`status_streams.ts`: at most 4, each for at most 5 minutes).
 *
 * On a loopback address, a request whose `Host` header names anything but a
 * loopback host gets 403: a web page on another name that rebinds its DNS to
 * 127.0.0.1 could otherwise read the status page and the metrics from the
 * operator's own browser.
 *
 * @module
 */

import { log } from "../base/log.ts";
import { ConfigError } from "../base/errors.ts";
import { messageOf } from "../shared/error_text.ts";
import { type HostPort, isLoopback } from "../base/host_port.ts";
import { ThrottledCount } from "../base/throttled_count.ts";
import { healthOf } from "./health.ts";
import { HEAD_MAX_BYTES, headEnd, parseHead } from "./http_head.ts";
import type { MetricsSource } from "./prom_families.ts";
import { type PageAnswer, StatusPage } from "./status_page.ts";

/** A running metrics listener. */
export interface MetricsServer {
  /** The port it listens on (the one given, or the one chosen for port 0). */
  readonly port: number;
  /** Stops listening; requests in progress finish. */
  close(): Promise<void>;
}

/** Connections served at once; more close the oldest still sending its head, or are closed. */
export const METRICS_MAX_CONNECTIONS = 16;
/** A request head must have arrived this long after the connection was accepted. */
export const HEAD_TIMEOUT_MS = 5_000;
/** Every connection is closed this long after it was accepted, its answer sent or not. */
export const CONNECTION_MAX_MS = 15_000;
/** At most one warning about refused or cut connections per this many ms. */
const LIMIT_LOG_MS = 10_000;
const ACCEPT_RETRY_MS = 10;
const ACCEPT_RETRY_MAX_MS = 1000;

const TEXT = "text/plain; charset=utf-8";
const encoder = new TextEncoder();
const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
  503: "Service Unavailable",
};

/** One answer: status, content type, body and any more header lines. */
type Answer = PageAnswer;
/** What a request gets: an answer, or (`/events`) its connection handed to the page's streams. */
type Reply = Answer | "stream";

/** One accepted connection. */
interface Client {
  readonly conn: Deno.Conn;
  readonly since: number;
  /** True until its whole head has arrived. */
  reading: boolean;
  closed: boolean;
  /** True once handed to the page's event streams: this listener no longer closes it. */
  handedOff?: boolean;
}

const FOREIGN_HOST = "this listener is loopback-only: the Host header must name a loopback " +
  "host (localhost, 127.0.0.1, [::1]), not another name that resolves here\n";

/** True for a loopback address, `localhost` and a name under `.localhost` (RFC 6761: always loopback). */
function isLoopbackName(name: string): boolean {
  return isLoopback(name) || /^[a-z0-9.-]*\.localhost\.?$/i.test(name) ||
    name.toLowerCase() === "localhost.";
}

/** Starts serving; throws a {@link ConfigError} when the address cannot be bound. */
export async function startMetricsServer(
  address: HostPort,
  host: MetricsSource,
): Promise<MetricsServer> {
  const { metricsRegistry } = await import("./prometheus.ts");
  const registry = metricsRegistry(host);
  const shown = address.host.includes(":") ? `[${address.host}]` : address.host;
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: address.host, port: address.port, transport: "tcp" });
  } catch (error) {
    throw new ConfigError(
      `--metrics ${shown}:${address.port}: cannot listen: ${messageOf(error)}`,
    );
  }
  const page = new StatusPage(host);
  const loopbackOnly = isLoopback(address.host);
  const answer = async (method: string, path: string, name?: string): Promise<Reply> => {
    if (loopbackOnly && name !== undefined && !isLoopbackName(name)) {
      return { status: 403, type: TEXT, body: FOREIGN_HOST };
    }
    if (method !== "GET" && method !== "HEAD") {
      return { status: 405, type: TEXT, body: "only GET\n", extra: "allow: GET, HEAD\r\n" };
    }
    if (path === "/metrics") {
      return { status: 200, type: registry.contentType, body: await registry.metrics() };
    }
    if (path === "/healthz") {
      const health = healthOf(host, host.workers.stuck, host.pool.stuck.state);
      return { status: health.ok ? 200 : 503, type: TEXT, body: health.reason + "\n" };
    }
    const reply = page.answer(path);
    if (reply === "stream" && method === "HEAD") {
      return { status: 200, type: "text/event-stream", body: "" };
    }
    if (reply !== null) return reply;
    return {
      status: 404,
      type: TEXT,
      body: "not found: GET /metrics, /healthz or / (the status page)\n",
    };
  };
  const server = new MetricsListener(listener, answer, (conn) => page.openStream(conn));
  const { hostname: bound, port } = listener.addr;
  log("metrics").info(
    "metrics on http://{address}/metrics, health on /healthz, status page on /",
    { address: `${bound.includes(":") ? `[${bound}]` : bound}:${port}` },
  );
  return {
    port,
    close: () => {
      page.close();
      return server.close();
    },
  };
}

/** Accepts connections within the bounds above and answers one request on each. */
class MetricsListener {
  #listener: Deno.TcpListener;
  #answer: (method: string, path: string, host?: string) => Promise<Reply>;
  #handOff: (conn: Deno.Conn) => void;
  #clients = new Set<Client>();
  #closed = false;
  #served = new Set<Promise<void>>();
  #refused = new ThrottledCount(LIMIT_LOG_MS, (count) =>
    log("metrics").warn(
      "closed {count} connections to the metrics listener: {limit} were open at once",
      { count, limit: METRICS_MAX_CONNECTIONS },
    ));
  #cut = new ThrottledCount(LIMIT_LOG_MS, (count) =>
    log("metrics").warn(
      "closed {count} connections to the metrics listener that sent no whole request " +
        "head of at most {max} bytes within {ms} ms, or did not take their answer",
      { count, max: HEAD_MAX_BYTES, ms: HEAD_TIMEOUT_MS },
    ));

  constructor(
    listener: Deno.TcpListener,
    answer: (method: string, path: string, host?: string) => Promise<Reply>,
    handOff: (conn: Deno.Conn) => void,
  ) {
    this.#listener = listener;
    this.#answer = answer;
    this.#handOff = handOff;
    this.#accept();
  }

  async #accept(): Promise<void> {
    let failures = 0;
    let pauseMs = ACCEPT_RETRY_MS;
    while (!this.#closed) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closed) return;
        if (failures++ === 0) {
          log("metrics").error(
            "accepting a connection failed: {error}; retrying until it works " +
              "(logged once until then)",
            { error: messageOf(error) },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
        pauseMs = Math.min(pauseMs * 2, ACCEPT_RETRY_MAX_MS);
        continue;
      }
      if (failures > 0) {
        log("metrics").info("accepting connections again after {failures} failed attempts", {
          failures,
        });
        failures = 0;
        pauseMs = ACCEPT_RETRY_MS;
      }
      if (this.#clients.size >= METRICS_MAX_CONNECTIONS && !this.#evictOne()) {
        this.#refused.add();
        conn.close();
        continue;
      }
      const client: Client = { conn, since: performance.now(), reading: true, closed: false };
      this.#clients.add(client);
      const served = this.#serve(client).finally(() => {
        this.#end(client);
        this.#served.delete(served);
      });
      this.#served.add(served);
    }
  }

  /** Closes the oldest connection still sending its head; false when there is none. */
  #evictOne(): boolean {
    for (const client of this.#clients) {
      if (client.reading) {
        this.#refused.add();
        this.#end(client);
        return true;
      }
    }
    return false;
  }

  #end(client: Client): void {
    if (client.closed || client.handedOff) return;
    client.closed = true;
    this.#clients.delete(client);
    try {
      client.conn.close();
    } catch {
      // closed already
    }
  }

  async #serve(client: Client): Promise<void> {
    const deadline = setTimeout(() => {
      if (!client.closed) this.#cut.add();
      this.#end(client);
    }, CONNECTION_MAX_MS);
    try {
      const head = await this.#readHead(client);
      client.reading = false;
      if (head === null || client.closed) return;
      if (head === "too long") {
        this.#cut.add();
        const body = `request head over ${HEAD_MAX_BYTES} bytes\n`;
        return await this.#write(client, { status: 431, type: TEXT, body }, true);
      }
      const parsed = parseHead(head);
      if (!parsed.ok) {
        return await this.#write(client, {
          status: parsed.status,
          type: TEXT,
          body: parsed.why + "\n",
        }, true);
      }
      const reply = await this.#answer(parsed.method, parsed.path, parsed.host);
      if (reply === "stream") {
        if (client.closed) return;
        clearTimeout(deadline);
        client.handedOff = true;
        this.#clients.delete(client);
        return this.#handOff(client.conn);
      }
      await this.#write(client, reply, parsed.method !== "HEAD");
    } catch (error) {
      if (!client.closed) log("metrics").debug("a metrics connection failed: {error}", { error });
    } finally {
      clearTimeout(deadline);
    }
  }

  /** The whole head, "too long", or null when the peer left or took too long (then closed). */
  async #readHead(client: Client): Promise<Uint8Array | "too long" | null> {
    const buffer = new Uint8Array(HEAD_MAX_BYTES);
    let length = 0;
    const timer = setTimeout(() => {
      if (!client.closed) this.#cut.add();
      this.#end(client); // its pending read ends
    }, Math.max(0, HEAD_TIMEOUT_MS - (performance.now() - client.since)));
    try {
      while (length < buffer.length) {
        const read = await client.conn.read(buffer.subarray(length)).catch(() => null);
        if (read === null || client.closed) return null;
        length += read;
        const end = headEnd(buffer.subarray(0, length));
        if (end >= 0) return buffer.slice(0, end);
      }
      return "too long";
    } finally {
      clearTimeout(timer);
    }
  }

  /** Writes the answer (its body only when `withBody`: not for HEAD) and lets the caller close. */
  async #write(client: Client, reply: Answer, withBody: boolean): Promise<void> {
    const body = encoder.encode(reply.body);
    const head = encoder.encode(
      `HTTP/1.1 ${reply.status} ${REASONS[reply.status] ?? ""}\r\n` +
        `content-type: ${reply.type}\r\ncontent-length: ${body.length}\r\n` +
        `${reply.extra ?? ""}connection: close\r\n\r\n`,
    );
    const bytes = new Uint8Array(head.length + (withBody ? body.length : 0));
    bytes.set(head);
    if (withBody) bytes.set(body, head.length);
    let written = 0;
    while (written < bytes.length && !client.closed) {
      written += await client.conn.write(bytes.subarray(written));
    }
  }

  /** Stops accepting; connections still sending a head are closed, answers due go out. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#listener.close();
    for (const client of [...this.#clients]) if (client.reading) this.#end(client);
    await Promise.allSettled([...this.#served]);
  }
}
