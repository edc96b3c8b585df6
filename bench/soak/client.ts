/**
 * A soak client connection: writes requests, reads answer lines (batches
 * too) and books each in the ledger; a call can be awaited until answered.
 *
 * @module
 */

import { writeAll } from "../../src/base/streams.ts";
import type { Expect, Ledger, Response } from "./ledger.ts";

/** One request of a call or a batch. */
export interface Call {
  /** The kind, for the ledger's counts. */
  readonly kind: string;
  /** The JSON-RPC method. */
  readonly method: string;
  /** Its positional params. */
  readonly params: readonly unknown[];
  /** What the answer must be. */
  readonly expect: Expect;
}

const encoder = new TextEncoder();

/** A connection whose answers go to a {@link Ledger}. */
export class SoakClient {
  #conn: Deno.UnixConn;
  #ledger: Ledger;
  #waiters = new Map<number, () => void>();
  #closed = false;
  /** Resolves when the host or the soak has closed the connection. */
  readonly ended: Promise<void>;

  private constructor(conn: Deno.UnixConn, ledger: Ledger) {
    this.#conn = conn;
    this.#ledger = ledger;
    this.ended = this.#read();
  }

  /** Connects to `path`. */
  static async connect(path: string, ledger: Ledger): Promise<SoakClient> {
    return new SoakClient(await Deno.connect({ transport: "unix", path }), ledger);
  }

  async #read(): Promise<void> {
    const decoder = new TextDecoder();
    let partial = "";
    try {
      for await (const chunk of this.#conn.readable) {
        const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
        partial = lines.pop()!;
        for (const line of lines) this.#book(JSON.parse(line) as Response | Response[]);
      }
    } catch {
      // reset, or closed by the soak
    }
    this.#closed = true;
    for (const wake of this.#waiters.values()) wake();
    this.#waiters.clear();
  }

  #book(answer: Response | Response[]): void {
    for (const response of Array.isArray(answer) ? answer : [answer]) {
      this.#ledger.answer(response);
      if (typeof response.id === "number") {
        this.#waiters.get(response.id)?.();
        this.#waiters.delete(response.id);
      }
    }
  }

  /** True once the connection has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends `calls` as pipelined lines (or one batch line) and resolves with
   * their ids, and a promise that settles once all are answered or the
   * connection ends.
   */
  async send(
    calls: readonly Call[],
    asBatch = false,
  ): Promise<{ ids: number[]; answered: Promise<void> }> {
    const ids: number[] = [];
    const waits: Promise<void>[] = [];
    const requests = calls.map((call) => {
      const id = this.#ledger.issue(call.kind, call.expect);
      ids.push(id);
      waits.push(new Promise((resolve) => this.#waiters.set(id, resolve)));
      return { jsonrpc: "2.0", method: call.method, params: call.params, id };
    });
    const text = asBatch
      ? JSON.stringify(requests) + "\n"
      : requests.map((request) => JSON.stringify(request) + "\n").join("");
    try {
      await writeAll(this.#conn, encoder.encode(text));
    } catch {
      // the connection ended: the calls stay pending in the ledger
    }
    if (this.#closed) { for (const id of ids) this.#waiters.get(id)?.(); }
    return { ids, answered: Promise.all(waits).then(() => {}) };
  }

  /** Sends `calls` and waits for their answers. */
  async call(...calls: Call[]): Promise<void> {
    await (await this.send(calls)).answered;
  }

  /** Closes the connection (answers still due are lost to it). */
  close(): void {
    if (this.#closed) return;
    try {
      this.#conn.close();
    } catch {
      // closed already
    }
  }
}
