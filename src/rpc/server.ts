/**
 * The RPC server: accepts connections on the Unix socket and serves each
 * one; closing it closes every connection and removes the socket file.
 *
 * @module
 */

import { errorAnswer, type MethodCaller } from "./jsonrpc.ts";
import { log } from "../host/log.ts";
import { RpcConnection } from "./connection.ts";
import { RpcCode } from "./errors.ts";
import { bindSocket } from "./socket_file.ts";
import { closeQuietly, writeAll } from "../shared/streams.ts";
import type { TransportCounts } from "../observe/stats.ts";

/** The server's settings. */
export interface ServerOptions {
  /** Path of the socket file. */
  readonly socket: string;
  /** Mode of the socket file. */
  readonly socketMode: number;
  /** Connections served at once; more are refused with a busy answer. */
  readonly maxConnections: number;
  /** A connection without progress for this long (and no call running) is closed. */
  readonly idleTimeoutMs: number;
}

const encoder = new TextEncoder();
/** At most one warning about refused connections per this many ms. */
const REFUSAL_LOG_MS = 10_000;

/** Serves JSON-RPC on a Unix socket. */
export class RpcServer {
  /** The socket's path. */
  readonly path: string;
  #listener: Deno.UnixListener;
  #call: MethodCaller;
  #connections = new Set<RpcConnection>();
  #options: ServerOptions;
  #sweeper: ReturnType<typeof setInterval>;
  #refused = 0;
  #lastRefusalLog = -Infinity;
  #closed = false;
  #counts: TransportCounts | undefined;

  private constructor(options: ServerOptions, listener: Deno.UnixListener, call: MethodCaller) {
    this.path = options.socket;
    this.#options = options;
    this.#listener = listener;
    this.#call = call;
    this.#sweeper = setInterval(
      () => this.#closeIdle(),
      Math.min(1000, Math.max(25, options.idleTimeoutMs / 4)),
    );
  }

  /** Binds the socket and starts accepting connections; `counts` counts what it serves. */
  static listen(options: ServerOptions, call: MethodCaller, counts?: TransportCounts): RpcServer {
    const server = new RpcServer(options, bindSocket(options.socket, options.socketMode), call);
    server.#counts = counts;
    server.#accept();
    return server;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        if (this.#connections.size >= this.#options.maxConnections) {
          this.#refuse(conn);
          continue;
        }
        if (this.#counts) this.#counts.accepted++;
        const connection = new RpcConnection(conn, this.#call, this.#counts);
        this.#connections.add(connection);
        connection.serve().finally(() => this.#connections.delete(connection));
      }
    } catch (error) {
      if (!this.#closed) log("rpc").error("accepting connections failed: {error}", { error });
    }
  }

  /** Answers a connection past `--max-connections` with one busy line and closes it. */
  #refuse(conn: Deno.Conn): void {
    const limit = this.#options.maxConnections;
    const refusal = errorAnswer(
      RpcCode.BUSY,
      `busy: too many connections (--max-connections ${limit})`,
    );
    writeAll(conn, encoder.encode(refusal + "\n"))
      .catch(() => {})
      .finally(() => closeQuietly(conn));
    this.#refused++;
    if (this.#counts) this.#counts.refused++;
    if (performance.now() - this.#lastRefusalLog >= REFUSAL_LOG_MS) {
      this.#lastRefusalLog = performance.now();
      log("rpc").warn("refused {count} connections: {limit} are open (--max-connections)", {
        count: this.#refused,
        limit,
      });
      this.#refused = 0;
    }
  }

  #closeIdle(): void {
    const now = performance.now();
    for (const connection of this.#connections) {
      if (connection.idleMs(now) > this.#options.idleTimeoutMs) {
        log("rpc").debug("closing a connection idle for over {ms} ms", {
          ms: this.#options.idleTimeoutMs,
        });
        connection.close();
        if (this.#counts) this.#counts.evicted++;
      }
    }
  }

  /** Stops accepting connections and removes the socket file; open ones go on. */
  stopAccepting(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    closeQuietly(this.#listener);
    try {
      Deno.removeSync(this.path);
    } catch {
      // gone already
    }
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
