/**
 * The RPC server: accepts connections on the Unix socket and serves each
 * one; closing it closes every connection and removes the socket file.
 *
 * @module
 */

import { errorAnswer, type MethodCaller } from "./jsonrpc.ts";
import { log } from "../base/log.ts";
import { RpcConnection } from "./connection.ts";
import { RpcCode } from "./errors.ts";
import { bindSocket, type PlacedSocket } from "./socket_file.ts";
import { closeQuietly, writeAll } from "../base/streams.ts";
import type { TransportCounts } from "./transport_counts.ts";
import { ThrottledCount } from "../base/throttled_count.ts";

/** The server's settings. */
export interface ServerOptions {
  /** Path of the socket file. */
  readonly socket: string;
  /** Mode of the socket file. */
  readonly socketMode: number;
  /** Connections served at once; past it the idlest gives way, or the newcomer is refused. */
  readonly maxConnections: number;
  /** A connection without progress for this long (and no call running) is closed. */
  readonly idleTimeoutMs: number;
  /** Requests one batch may hold; a longer batch is one -32600 answer. */
  readonly maxBatch: number;
}

const encoder = new TextEncoder();
/** At most one warning about refused or closed connections per this many ms. */
const LIMIT_LOG_MS = 10_000;
/** A connection quiet for less than this is in use: it does not give way to a newcomer. */
export const GIVE_WAY_AFTER_MS = 1000;

/**
 * Of `connections`, the one quiet the longest (`quietMs`: null while a call
 * runs or an answer is being taken), if it has been quiet for at least
 * {@link GIVE_WAY_AFTER_MS}; else null. The stream socket and `--rpc-ctl`
 * make room this way when they are full.
 */
export function idlestOf<T extends { quietMs(now: number): number | null }>(
  connections: Iterable<T>,
): T | null {
  const now = performance.now();
  let idlest: T | null = null;
  let longest = GIVE_WAY_AFTER_MS;
  for (const connection of connections) {
    const quiet = connection.quietMs(now);
    if (quiet !== null && quiet >= longest) {
      idlest = connection;
      longest = quiet;
    }
  }
  return idlest;
}
/** The first pause after a failed accept(); it doubles up to {@link ACCEPT_RETRY_MAX_MS}. */
const ACCEPT_RETRY_MS = 10;
const ACCEPT_RETRY_MAX_MS = 1000;

/** Serves JSON-RPC on a Unix socket. */
export class RpcServer {
  /** The socket's path. */
  readonly path: string;
  #socket: PlacedSocket;
  #call: MethodCaller;
  #connections = new Set<RpcConnection>();
  #options: ServerOptions;
  #sweeper: ReturnType<typeof setInterval>;
  #refused: ThrottledCount;
  #evicted: ThrottledCount;
  #closed = false;
  /** Connections admitted so far: each one's number, for the log. */
  #admitted = 0;
  #stopped = new AbortController();
  #counts: TransportCounts | undefined;

  private constructor(options: ServerOptions, socket: PlacedSocket, call: MethodCaller) {
    this.path = options.socket;
    this.#options = options;
    this.#socket = socket;
    this.#call = call;
    this.#sweeper = setInterval(
      () => this.#closeIdle(),
      Math.min(1000, Math.max(25, options.idleTimeoutMs / 4)),
    );
    const limit = options.maxConnections;
    this.#refused = new ThrottledCount(LIMIT_LOG_MS, (count) =>
      log("rpc").warn(
        "refused {count} connections: {limit} are open and busy (--max-connections)",
        { count, limit },
      ));
    this.#evicted = new ThrottledCount(LIMIT_LOG_MS, (count) =>
      log("rpc").info(
        "closed {count} idle connections to admit new ones: {limit} are open (--max-connections)",
        { count, limit },
      ));
  }

  /** Connections open now. */
  get connections(): number {
    return this.#connections.size;
  }

  /** Binds the socket and starts accepting connections; `counts` counts what it serves. */
  static listen(options: ServerOptions, call: MethodCaller, counts?: TransportCounts): RpcServer {
    const server = new RpcServer(options, bindSocket(options.socket, options.socketMode), call);
    server.#counts = counts;
    server.#accept();
    return server;
  }

  /**
   * Accepts until closed. A failed accept() (out of descriptors: EMFILE)
   * does not end the loop: it is logged once per burst, retried after a
   * pause that doubles up to 1 s, and serving resumes once it succeeds.
   */
  async #accept(): Promise<void> {
    let failures = 0;
    let pauseMs = ACCEPT_RETRY_MS;
    while (!this.#closed) {
      let conn: Deno.UnixConn;
      try {
        conn = await this.#socket.listener.accept();
      } catch (error) {
        if (this.#closed) return;
        if (failures++ === 0) {
          log("rpc").error(
            "accepting a connection failed: {error}; retrying until it works " +
              "(logged once until then)",
            { error: error instanceof Error ? error.message : String(error) },
          );
        }
        await this.#pause(pauseMs);
        pauseMs = Math.min(pauseMs * 2, ACCEPT_RETRY_MAX_MS);
        continue;
      }
      if (failures > 0) {
        log("rpc").info("accepting connections again after {failures} failed attempts", {
          failures,
        });
        failures = 0;
        pauseMs = ACCEPT_RETRY_MS;
      }
      this.#admit(conn);
    }
  }

  /** Waits `ms`, or less when the server closes meanwhile. */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.#stopped.signal;
      signal.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
    });
  }

  /**
   * Serves `conn`. At `--max-connections`, the connection quiet the longest
   * (no call, no partial line, no unsent answer, for at least
   * {@link GIVE_WAY_AFTER_MS}) is closed to make room; when every one is
   * busy, `conn` is refused.
   */
  #admit(conn: Deno.Conn): void {
    if (this.#connections.size >= this.#options.maxConnections) {
      const idlest = this.#idlest();
      if (idlest === null) return this.#refuse(conn);
      this.#connections.delete(idlest);
      idlest.close();
      this.#evicted.add();
      if (this.#counts) this.#counts.evicted++;
    }
    if (this.#counts) this.#counts.accepted++;
    const connection = new RpcConnection(conn, this.#call, {
      counts: this.#counts,
      number: ++this.#admitted,
      maxBatch: this.#options.maxBatch,
    });
    this.#connections.add(connection);
    connection.serve().finally(() => this.#connections.delete(connection));
  }

  /** The connection quiet the longest, if one has been quiet long enough. */
  #idlest(): RpcConnection | null {
    return idlestOf(this.#connections);
  }

  /** Answers a connection past `--max-connections` with one busy line and closes it. */
  #refuse(conn: Deno.Conn): void {
    const refusal = errorAnswer(
      RpcCode.BUSY,
      `busy: too many connections (--max-connections ${this.#options.maxConnections})`,
    );
    writeAll(conn, encoder.encode(refusal + "\n"))
      .catch(() => {})
      .finally(() => closeQuietly(conn));
    this.#refused.add();
    if (this.#counts) this.#counts.refused++;
  }

  /**
   * Closes the connections idle past `--idle-timeout`. One whose client took
   * no byte of its answer for that long is a warning (once, as it closes):
   * it lost that answer. A quiet one with nothing due is routine (debug).
   */
  #closeIdle(): void {
    const now = performance.now();
    const ms = this.#options.idleTimeoutMs;
    for (const connection of this.#connections) {
      if (connection.idleMs(now) <= ms) continue;
      const unsent = connection.unsentBytes();
      if (unsent > 0) {
        log("rpc").warn(
          "closing RPC connection {peer}: its client took no bytes for {ms} ms; " +
            "{unsent} of its answer bytes were unsent (--idle-timeout)",
          { peer: connection.peer, ms, unsent },
        );
      } else {
        log("rpc").debug("closing RPC connection {peer}, idle for over {ms} ms", {
          peer: connection.peer,
          ms,
        });
      }
      connection.close();
      if (this.#counts) this.#counts.evicted++;
    }
  }

  /** Stops accepting connections and removes the socket file; open ones go on. */
  stopAccepting(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopped.abort();
    clearInterval(this.#sweeper);
    closeQuietly(this.#socket.listener);
    this.#socket.remove();
  }

  /**
   * Stops accepting, lets every connection write the answers still due (for
   * up to `timeoutMs`), then closes them all.
   */
  async close(timeoutMs = 0): Promise<void> {
    this.stopAccepting();
    await Promise.all([...this.#connections].map((connection) => connection.finish(timeoutMs)));
  }
}
