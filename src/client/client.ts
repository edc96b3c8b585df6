/**
 * A JSON-RPC client for the host's Unix socket: many calls on one
 * connection, answers matched by id. Every call settles exactly once: with
 * its answer, with the answer the host gave before it closed the connection
 * (a line too long, too many connections), or with one rejection.
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

/** How long a call whose request could not be written waits for the host's last answer. */
const LAST_WORD_WAIT_MS = 1000;

/** A connection to a host's RPC socket. */
export class RpcClient {
  #conn: Deno.Conn;
  #pending = new Map<number, PromiseWithResolvers<RpcResponse>>();
  #nextId = 1;
  #reading: Promise<void>;
  /** Requests are written one after the other, never interleaved. */
  #writing: Promise<void> = Promise.resolve();
  #ended = false;
  /** An error answer with a null id (it names no request): why the host may close. */
  #lastWord: RpcResponse | null = null;

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
   * Sends one request. When the host closes the connection after an error
   * answer that names no request (a line over its limit: -32600; too many
   * connections: -32002), the calls still waiting resolve with that answer
   * (its `id` is null).
   *
   * @param method The method's name.
   * @param params Its params, positional or by name; none when left out.
   * @returns The whole response object (`result` or `error`).
   * @throws {Error} (as a rejection, the call's only one) When the connection is closed, or
   *   closes before the answer without a last answer from the host.
   */
  request(
    method: string,
    params?: unknown[] | Record<string, unknown>,
  ): Promise<RpcResponse> {
    if (this.#ended) return Promise.reject(new Error("the connection is closed"));
    const id = this.#nextId++;
    const waiter = Promise.withResolvers<RpcResponse>();
    this.#pending.set(id, waiter);
    const request = params === undefined
      ? { jsonrpc: "2.0", method, id }
      : { jsonrpc: "2.0", method, params, id };
    let bytes: Uint8Array;
    try {
      bytes = encoder.encode(JSON.stringify(request) + "\n");
    } catch (error) {
      this.#pending.delete(id);
      return Promise.reject(error); // params JSON cannot carry: a BigInt, a cycle
    }
    this.#writing = this.#writing.then(() => this.#write(id, bytes));
    return waiter.promise;
  }

  /**
   * Calls a method.
   *
   * @param method The method's name.
   * @param params Its params, positional or by name; none when left out.
   * @returns Its result.
   * @throws {RpcError} (as a rejection) When the host answers with an error, also the one it
   *   gave before closing the connection.
   * @throws {Error} (as a rejection) When the connection closes before the answer.
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

  /**
   * Writes the request of call `id`. When the write fails (the host closed
   * the connection), the reader is given a moment to see the end and settle
   * the call with the host's last answer; else the call is rejected here.
   * Never rejects.
   */
  async #write(id: number, bytes: Uint8Array): Promise<void> {
    if (!this.#pending.has(id)) return; // settled already: the connection ended
    try {
      await writeAll(this.#conn, bytes);
    } catch (error) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#reading,
        new Promise((resolve) => timer = setTimeout(resolve, LAST_WORD_WAIT_MS)),
      ]);
      clearTimeout(timer);
      const waiter = this.#pending.get(id);
      if (waiter === undefined) return;
      this.#pending.delete(id);
      const why = error instanceof Error ? error.message : String(error);
      waiter.reject(new Error(`the request could not be sent: ${why}`));
    }
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
          if (line.trim() !== "") this.#deliver(line);
        }
      }
    } catch {
      // closed under us, or reset by the host: waiting calls are settled below
    }
    this.#ended = true;
    const lastWord = this.#lastWord;
    for (const waiter of this.#pending.values()) {
      if (lastWord !== null) waiter.resolve(lastWord);
      else waiter.reject(new Error("the connection closed before the answer came"));
    }
    this.#pending.clear();
  }

  /** Settles the calls a line answers; a line that is not JSON is passed over. */
  #deliver(line: string): void {
    let response: RpcResponse | RpcResponse[];
    try {
      response = JSON.parse(line);
    } catch {
      return;
    }
    for (const one of Array.isArray(response) ? response : [response]) {
      if (typeof one !== "object" || one === null) continue;
      if (one.id === null && one.error !== undefined) this.#lastWord = one;
      const waiter = typeof one.id === "number" ? this.#pending.get(one.id) : undefined;
      if (waiter === undefined) continue;
      this.#pending.delete(one.id as number);
      waiter.resolve(one);
    }
  }
}
