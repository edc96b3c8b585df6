/**
 * One BINRPC connection of the ctl transport (`--rpc-ctl unix:` or `tcp:`):
 * frames follow each other on the stream and are answered in order, one at
 * a time, as Kamailio's ctl module answers them. A frame is never buffered
 * past the codec's limit (65535 bytes, refused from its header); a frame
 * that is not a request is answered with one fault and the connection is
 * closed, as Kamailio does.
 *
 * @module
 */

import { decodeRequest, encodeFault } from "./kamailio/binrpc.ts";
import type { MethodCaller } from "./jsonrpc.ts";
import { answerBinrpc } from "./ctl_answer.ts";
import { closeQuietly, writeAll } from "../base/streams.ts";
import { log } from "../base/log.ts";
import type { TransportCounts } from "./transport_counts.ts";

const READ_SIZE = 16 * 1024;

/** Serves one accepted ctl connection until the client is done or gone. */
export class CtlConnection {
  #conn: Deno.Conn;
  #call: MethodCaller;
  #counts: TransportCounts | undefined;
  #gone = new AbortController();
  #closed = false;
  #busy = false;
  #pendingBytes = 0;
  #lastProgress = performance.now();

  /** The client, for the log: the connection's number. */
  readonly peer: string;

  /** Wraps an accepted connection, counting its requests in `counts`; `serve` runs it. */
  constructor(conn: Deno.Conn, call: MethodCaller, number: number, counts?: TransportCounts) {
    this.#conn = conn;
    this.#call = call;
    this.#counts = counts;
    this.peer = `ctl #${number}`;
  }

  /** Reads and answers frames until the client closes, sends a bad frame, or goes. */
  async serve(): Promise<void> {
    let pending: Uint8Array = new Uint8Array(0);
    const chunk = new Uint8Array(READ_SIZE);
    try {
      while (!this.#closed) {
        const got = decodeRequest(pending);
        if (got.kind === "request") {
          if (this.#counts) this.#counts.requests++;
          this.#busy = true;
          const frame = await answerBinrpc(got.request, this.#call, this.#gone.signal);
          if (this.#closed) return;
          await writeAll(this.#conn, frame);
          this.#busy = false;
          this.#lastProgress = performance.now();
          pending = pending.slice(got.frameBytes);
          this.#pendingBytes = pending.length;
          continue;
        }
        if (got.kind === "error") {
          if (this.#counts) this.#counts.parseErrors++;
          const { cookie, faultCode, message } = got.error;
          log("rpc").debug("{peer}: {message}; closing", { peer: this.peer, message });
          await writeAll(this.#conn, encodeFault(cookie, faultCode, message));
          return;
        }
        const n = await this.#conn.read(chunk);
        if (n === null) return;
        this.#lastProgress = performance.now();
        const grown = new Uint8Array(pending.length + n);
        grown.set(pending);
        grown.set(chunk.subarray(0, n), pending.length);
        pending = grown;
        this.#pendingBytes = pending.length;
      }
    } catch {
      // The client reset the connection: nothing to answer to.
    } finally {
      this.close();
    }
  }

  /** True while a call is being answered. */
  get busy(): boolean {
    return this.#busy && !this.#closed;
  }

  /** Milliseconds without progress while no call runs (what `--idle-timeout` measures). */
  idleMs(now: number): number {
    return this.#busy ? 0 : now - this.#lastProgress;
  }

  /**
   * Milliseconds with nothing under way (no call, no partial frame); null
   * when busy. The idlest gives way to a newcomer at `--max-connections`.
   */
  quietMs(now: number): number | null {
    return this.#busy || this.#pendingBytes > 0 || this.#closed ? null : now - this.#lastProgress;
  }

  /** Closes the connection; a call under way is told its client has gone. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#gone.abort();
    closeQuietly(this.#conn);
  }
}
