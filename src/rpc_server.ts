/**
 * The RPC server: accepts connections on the Unix socket and serves each
 * one; closing it closes every connection and removes the socket file.
 *
 * @module
 */

import type { MethodCaller } from "./jsonrpc.ts";
import { log } from "./log.ts";
import { RpcConnection } from "./rpc_connection.ts";
import { bindSocket } from "./rpc_socket.ts";

/** Serves JSON-RPC on a Unix socket. */
export class RpcServer {
  /** The socket's path. */
  readonly path: string;
  #listener: Deno.UnixListener;
  #call: MethodCaller;
  #connections = new Set<RpcConnection>();
  #closed = false;

  private constructor(path: string, listener: Deno.UnixListener, call: MethodCaller) {
    this.path = path;
    this.#listener = listener;
    this.#call = call;
  }

  /** Binds `path` with `mode` and starts accepting connections. */
  static listen(path: string, mode: number, call: MethodCaller): RpcServer {
    const server = new RpcServer(path, bindSocket(path, mode), call);
    server.#accept();
    return server;
  }

  /** Open connections. */
  get connections(): number {
    return this.#connections.size;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        const connection = new RpcConnection(conn, this.#call);
        this.#connections.add(connection);
        connection.serve().finally(() => this.#connections.delete(connection));
      }
    } catch (error) {
      if (!this.#closed) log("rpc").error("accepting connections failed: {error}", { error });
    }
  }

  /** Stops accepting connections and removes the socket file; open ones go on. */
  stopAccepting(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
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
