/**
 * A JSON-RPC client for the host's Unix socket: many calls on one
 * connection, answers matched by id.
 *
 * @module
 */

import { RpcError } from "../rpc/errors.ts";
import { closeQuietly, writeAll } from "../base/streams.ts";
import { checkSocketTrust, type SocketOwner, UntrustedSocketError } from "./socket_trust.ts";

export { type SocketOwner, UntrustedSocketError };

/** A JSON-RPC response as the host sends it. */
export interface RpcResponse {
  /** Always "2.0". */
  readonly jsonrpc: "2.0";
  /** The request's id. */
  readonly id: string | number | null;
  /** The result, when the call succeeded. */
  readonly result?: unknown;
  /** The error, when it failed: a JSON-RPC code, a message, maybe data. */
  readonly error?: { readonly code: number; readonly message: string; readonly data?: unknown };
}

/** Options of {@link RpcClient.connect}. */
export interface ConnectOptions {
  /**
   * Whom to trust with calls besides this process's user and root: a uid,
   * or `"any"` to talk to a socket whoever owns it. By default a socket of
   * another user (or in a directory another user could replace it in) is
   * refused with an {@link UntrustedSocketError}.
   */
  readonly socketOwner?: SocketOwner;
}

const encoder = new TextEncoder();

/** A connection to a host's RPC socket. */
export class RpcClient {
  #conn: Deno.Conn;
  #pending = new Map<number, PromiseWithResolvers<RpcResponse>>();
  #nextId = 1;
  #reading: Promise<void>;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#reading = this.#read();
  }

  /**
   * Connects to a host's socket.
   *
   * @param path The socket's path.
   * @param options Whom to trust as the socket's owner besides this user and root.
   * @returns The connection.
   * @throws {UntrustedSocketError} (as a rejection) When the socket belongs to another user
   *   than this process's or root (unless `options.socketOwner` trusts them) or sits in a
   *   directory another user could replace it in.
   * @throws {Deno.errors.NotFound} (as a rejection) When nobody listens there; another
   *   `Deno.connect` error for any other failure.
   */
  static async connect(path: string, options: ConnectOptions = {}): Promise<RpcClient> {
    checkSocketTrust(path, options.socketOwner);
    return new RpcClient(await Deno.connect({ transport: "unix", path }));
  }

  /**
   * Sends one request.
   *
   * @param method The method's name.
   * @param params Its params, positional or by name; none when left out.
   * @returns The whole response object (`result` or `error`).
   * @throws {Error} (as a rejection) When the connection closes before the answer.
   */
  async request(
    method: string,
    params?: unknown[] | Record<string, unknown>,
  ): Promise<RpcResponse> {
    const id = this.#nextId++;
    const waiter = Promise.withResolvers<RpcResponse>();
    this.#pending.set(id, waiter);
    const request = params === undefined
      ? { jsonrpc: "2.0", method, id }
      : { jsonrpc: "2.0", method, params, id };
    const bytes = encoder.encode(JSON.stringify(request) + "\n");
    await writeAll(this.#conn, bytes);
    return waiter.promise;
  }

  /**
   * Calls a method.
   *
   * @param method The method's name.
   * @param params Its params, positional or by name; none when left out.
   * @returns Its result.
   * @throws {RpcError} (as a rejection) When the host answers with an error.
   */
  async call(method: string, params?: unknown[] | Record<string, unknown>): Promise<unknown> {
    const response = await this.request(method, params);
    if (response.error) {
      throw new RpcError(response.error.code, response.error.message, response.error.data);
    }
    return response.result;
  }

  /**
   * Closes the connection; calls still waiting are rejected.
   *
   * @returns Once the connection is closed.
   */
  async close(): Promise<void> {
    closeQuietly(this.#conn);
    await this.#reading;
  }

  async #read(): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = "";
    try {
      for await (const chunk of this.#conn.readable) {
        buffered += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line.trim() !== "") this.#deliver(JSON.parse(line));
        }
      }
    } catch {
      // closed under us: waiting calls are rejected below
    }
    for (const waiter of this.#pending.values()) {
      waiter.reject(new Error("the connection closed before the answer came"));
    }
    this.#pending.clear();
  }

  #deliver(response: RpcResponse | RpcResponse[]): void {
    for (const one of Array.isArray(response) ? response : [response]) {
      const waiter = typeof one.id === "number" ? this.#pending.get(one.id) : undefined;
      if (waiter === undefined) continue;
      this.#pending.delete(one.id as number);
      waiter.resolve(one);
    }
  }
}
