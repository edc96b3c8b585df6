/**
 * The ctl transport (`--rpc-ctl`): Kamailio's BINRPC, as its ctl module
 * serves it to kamcmd and kamcli, on Unix stream sockets, TCP and UDP,
 * answered by the same methods as JSON-RPC. Stream connections have the
 * stream socket's bounds (`--max-connections` over all ctl streams, the
 * idlest giving way; `--idle-timeout`); a UDP datagram is one frame and is
 * answered with one datagram.
 *
 * @module
 */

import dgram from "node:dgram";
import { log } from "../base/log.ts";
import { ConfigError } from "../base/errors.ts";
import { messageOf } from "../shared/error_text.ts";
import { closeQuietly } from "../base/streams.ts";
import type { CtlAddress } from "../config/ctl_address.ts";
import type { MethodCaller } from "./jsonrpc.ts";
import { bindSocket, clearSocketPath } from "./socket_file.ts";
import { CtlConnection } from "./ctl_connection.ts";
import { answerBinrpc } from "./ctl_answer.ts";
import { decodeRequest, encodeFault } from "./kamailio/binrpc.ts";
import { idlestOf } from "./server.ts";
import type { TransportCounts } from "./transport_counts.ts";

/** Datagrams being answered at once over every ctl UDP socket; more are dropped. */
export const MAX_CTL_DGRAM_IN_FLIGHT = 256;

/** The ctl transport's bounds, the stream socket's. */
export interface CtlBounds {
  /** Mode of Unix socket files. */
  readonly socketMode: number;
  /** Stream connections served at once, over every ctl address. */
  readonly maxConnections: number;
  /** A connection without progress for this long (and no call running) is closed. */
  readonly idleTimeoutMs: number;
}

/** Serves BINRPC on every `--rpc-ctl` address. */
export class CtlServer {
  #call: MethodCaller;
  #bounds: CtlBounds;
  #counts: TransportCounts | undefined;
  #listeners: { close(): void }[] = [];
  #removers: (() => void)[] = [];
  #connections = new Set<CtlConnection>();
  #admitted = 0;
  #inFlight = 0;
  #closed = false;
  #sweeper: ReturnType<typeof setInterval> | null = null;

  private constructor(call: MethodCaller, bounds: CtlBounds, counts?: TransportCounts) {
    this.#call = call;
    this.#bounds = bounds;
    this.#counts = counts;
  }

  /**
   * Binds every address and starts serving, counting in `counts` (the
   * `ctl` transport's; none with `--stats off`); throws a
   * {@link ConfigError} (nothing left bound) when one cannot be.
   */
  static async listen(
    addresses: readonly CtlAddress[],
    bounds: CtlBounds,
    call: MethodCaller,
    counts?: TransportCounts,
  ): Promise<CtlServer> {
    const server = new CtlServer(call, bounds, counts);
    try {
      for (const address of addresses) await server.#bind(address);
    } catch (error) {
      await server.close();
      throw error;
    }
    if (addresses.length > 0) {
      server.#sweeper = setInterval(
        () => server.#closeIdle(),
        Math.min(1000, Math.max(25, bounds.idleTimeoutMs / 4)),
      );
    }
    return server;
  }

  async #bind(address: CtlAddress): Promise<void> {
    if (address.kind === "udp") return await this.#bindUdp(address);
    let listener: Deno.Listener;
    if (address.kind === "unix") {
      await clearSocketPath(address.path);
      const placed = bindSocket(address.path, this.#bounds.socketMode);
      listener = placed.listener;
      this.#removers.push(() => placed.remove());
    } else {
      try {
        listener = Deno.listen({ transport: "tcp", hostname: address.host, port: address.port });
      } catch (error) {
        throw new ConfigError(`--rpc-ctl ${address.text}: cannot listen: ${messageOf(error)}`);
      }
    }
    this.#listeners.push(listener);
    log("rpc").info("BINRPC (kamcmd) on {address}", { address: boundText(address, listener) });
    this.#accept(listener);
  }

  async #accept(listener: Deno.Listener): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (this.#closed) return;
        log("rpc").debug("ctl: accept failed: {error}", { error: messageOf(error) });
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      this.#admit(conn);
    }
  }

  /** Serves `conn`; at the bound the idlest connection gives way, or `conn` is closed. */
  #admit(conn: Deno.Conn): void {
    if (this.#connections.size >= this.#bounds.maxConnections) {
      const idlest = this.#idlest();
      if (idlest === null) {
        log("rpc").debug("ctl: connection refused: {limit} are open and busy", {
          limit: this.#bounds.maxConnections,
        });
        if (this.#counts) this.#counts.refused++;
        return closeQuietly(conn);
      }
      this.#connections.delete(idlest);
      idlest.close();
      if (this.#counts) this.#counts.evicted++;
    }
    if (this.#counts) this.#counts.accepted++;
    const connection = new CtlConnection(conn, this.#call, ++this.#admitted, this.#counts);
    this.#connections.add(connection);
    connection.serve().finally(() => this.#connections.delete(connection));
  }

  #idlest(): CtlConnection | null {
    return idlestOf(this.#connections);
  }

  #closeIdle(): void {
    const now = performance.now();
    for (const connection of this.#connections) {
      if (connection.idleMs(now) <= this.#bounds.idleTimeoutMs) continue;
      log("rpc").debug("closing {peer}, idle for over {ms} ms", {
        peer: connection.peer,
        ms: this.#bounds.idleTimeoutMs,
      });
      connection.close();
      this.#connections.delete(connection);
      if (this.#counts) this.#counts.evicted++;
    }
  }

  async #bindUdp(address: CtlAddress & { kind: "udp" }): Promise<void> {
    const socket = dgram.createSocket(address.host.includes(":") ? "udp6" : "udp4");
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(address.port, address.host, () => {
          socket.off("error", reject);
          resolve();
        });
      });
    } catch (error) {
      socket.close();
      throw new ConfigError(`--rpc-ctl ${address.text}: cannot bind: ${messageOf(error)}`);
    }
    socket.on(
      "error",
      (error) => log("rpc").warn("{text}: {error}", { text: address.text, error }),
    );
    this.#listeners.push(socket);
    const port = socket.address().port;
    const host = address.host.includes(":") ? `[${address.host}]` : address.host;
    log("rpc").info("BINRPC (kamcmd) on {address}", { address: `udp:${host}:${port}` });
    socket.on("message", (data, from) => {
      const send = (frame: Uint8Array) =>
        socket.send(frame, from.port, from.address, (error) => {
          if (!error) return;
          if (this.#counts) this.#counts.unanswered++;
          log("rpc").debug("ctl: an answer was not sent: {error}", { error });
        });
      this.#datagram(new Uint8Array(data), send);
    });
  }

  /** Answers one datagram: one frame in, one frame out; an incomplete frame is a fault. */
  #datagram(data: Uint8Array, send: (frame: Uint8Array) => void): void {
    if (this.#closed) return;
    if (this.#inFlight >= MAX_CTL_DGRAM_IN_FLIGHT) {
      if (this.#counts) this.#counts.unanswered++;
      return;
    }
    const got = decodeRequest(data);
    if (got.kind !== "request" && this.#counts) this.#counts.parseErrors++;
    if (got.kind === "more") {
      return send(encodeFault(0, 400, "bad request: the datagram holds an incomplete frame"));
    }
    if (got.kind === "error") {
      return send(encodeFault(got.error.cookie, got.error.faultCode, got.error.message));
    }
    if (this.#counts) this.#counts.requests++;
    this.#inFlight++;
    answerBinrpc(got.request, this.#call)
      .then((frame) => this.#closed || send(frame))
      .finally(() => this.#inFlight--);
  }

  /** Stops accepting, lets calls under way answer for up to `timeoutMs`, then closes all. */
  async close(timeoutMs = 0): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    for (const listener of this.#listeners) closeQuietly(listener);
    for (const remove of this.#removers) remove();
    const busy = () => [...this.#connections].filter((connection) => connection.busy);
    for (const connection of this.#connections) if (!connection.busy) connection.close();
    const deadline = performance.now() + timeoutMs;
    while (busy().length > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const connection of this.#connections) connection.close();
  }
}

/** The address as bound (a TCP port 0 becomes the port given). */
function boundText(address: CtlAddress, listener: Deno.Listener): string {
  if (address.kind !== "tcp") return address.text;
  const bound = listener.addr as Deno.NetAddr;
  const host = bound.hostname.includes(":") ? `[${bound.hostname}]` : bound.hostname;
  return `tcp:${host}:${bound.port}`;
}
