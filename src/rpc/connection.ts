/**
 * One client connection: splits the byte stream into lines, answers each
 * line (out of order, as answers come), and writes answers in batches. A
 * client that sends too much without reading is slowed down, not buffered:
 * reading stops while {@link MAX_IN_FLIGHT} calls run or more than
 * {@link MAX_UNSENT_BYTES} of answers wait to be written (the answer being
 * written included), and resumes as the client takes them.
 *
 * @module
 */

import { settlesWithin } from "../base/deadline.ts";
import { answerLine, errorAnswer, type MethodCaller, type RequestCounts } from "./jsonrpc.ts";
import { CallPermits } from "./call_permits.ts";
import { RpcCode, RpcError } from "./errors.ts";
import { closeQuietly } from "../base/streams.ts";
import { clipText } from "../shared/quote.ts";

/** The longest request line, in bytes. */
export const MAX_LINE_BYTES = 1 << 20;
/** Requests (batch elements each count) one connection may have in flight; reading pauses there. */
export const MAX_IN_FLIGHT = 32;
/**
 * Answer bytes waiting to be written (the rest of the write under way and
 * the answers queued behind it) past which reading pauses until the client
 * takes them.
 */
export const MAX_UNSENT_BYTES = 1 << 20;
const READ_SIZE = 64 * 1024;
const NEWLINE = 10;

const NOT_UTF8 = errorAnswer(RpcCode.PARSE_ERROR, "parse error: the line is not valid UTF-8");
const TOO_LONG = errorAnswer(
  RpcCode.INVALID_REQUEST,
  `invalid request: line longer than ${MAX_LINE_BYTES} bytes; closing the connection`,
);

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** A line as text, or null when its bytes are not valid UTF-8. */
function decodeLine(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

/** How a connection counts, names and bounds what it serves. */
export interface ConnectionOptions {
  /** Where its requests are counted, if anywhere. */
  readonly counts?: RequestCounts;
  /** Its number since start-up, for the log. */
  readonly number?: number;
  /** Requests one batch may hold (default: no bound). */
  readonly maxBatch?: number;
}

/** Serves one accepted connection until the client is done or gone. */
export class RpcConnection {
  #conn: Deno.Conn;
  #call: MethodCaller;
  #slots = new CallPermits(MAX_IN_FLIGHT);
  #out: string[] = [];
  #outBytes = 0;
  #flushing: Promise<void> | null = null;
  /** Bytes of the buffer being written that the client has not taken yet. */
  #writing = 0;
  #pendingLines = 0;
  #partialBytes = 0;
  #waiters: (() => void)[] = [];
  #closed = false;
  #gone = new AbortController();
  #reading = true;
  #lastProgress = performance.now();
  #counts?: RequestCounts;
  #maxBatch: number;

  /**
   * The client, for the log: `#N` (the connection's number since start-up),
   * and its socket's path when it bound one (Deno gives no peer credentials).
   */
  readonly peer: string;

  /**
   * Wraps an accepted connection; `serve` runs it; `options.counts` counts
   * its requests; `options.number` names it in the log.
   */
  constructor(conn: Deno.Conn, call: MethodCaller, options: ConnectionOptions = {}) {
    const { counts, number = 0, maxBatch = Infinity } = options;
    this.#counts = counts;
    this.#maxBatch = maxBatch;
    this.#conn = conn;
    const address = conn.remoteAddr as Partial<Deno.UnixAddr>;
    this.peer = `#${number}` + (address.path ? ` (${clipText(address.path)})` : "");
    const gone = this.#gone.signal;
    this.#call = (method, params) => {
      if (gone.aborted) throw new RpcError(RpcCode.BUSY, "busy: the client has gone");
      return call(method, params, gone);
    };
  }

  /** Reads and answers until the client half-closes or the connection fails. */
  async serve(): Promise<void> {
    const buffer = new Uint8Array(READ_SIZE);
    let partial: Uint8Array[] = [];
    try {
      while (!this.#closed && this.#reading) {
        if (this.#full()) await this.#roomToRead();
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        this.#lastProgress = performance.now();
        let start = 0;
        while (start < n) {
          const end = buffer.subarray(start, n).indexOf(NEWLINE);
          const stop = end < 0 ? n : start + end;
          if (this.#partialBytes + stop - start > MAX_LINE_BYTES) return await this.#refuseLong();
          if (end < 0) {
            partial.push(buffer.slice(start, n));
            this.#partialBytes += n - start;
            break;
          }
          const piece = buffer.subarray(start, stop);
          const line = decodeLine(
            this.#partialBytes === 0
              ? piece
              : concat([...partial, piece], this.#partialBytes + piece.length),
          );
          partial = [];
          this.#partialBytes = 0;
          this.#handle(line);
          start = stop + 1;
          if (this.#full()) await this.#roomToRead();
        }
      }
      if (this.#partialBytes > 0) this.#handle(decodeLine(concat(partial, this.#partialBytes)));
      this.#partialBytes = 0;
      await this.#settled();
    } catch {
      // The client reset the connection: nothing to answer to.
    } finally {
      this.close();
    }
  }

  /**
   * How long the connection has made no progress (no byte read, no byte of
   * an answer taken by the client) while none of its calls is running, in
   * milliseconds: what `--idle-timeout` measures. A client still reading a
   * long answer, however slowly, is not idle.
   */
  idleMs(now: number): number {
    return this.#pendingLines > 0 ? 0 : now - this.#lastProgress;
  }

  /**
   * How long the connection has been idle with nothing at all under way (no
   * call, no partial line, no unsent answer), in milliseconds; null when it
   * is busy. The idlest one gives way to a newcomer at `--max-connections`.
   */
  quietMs(now: number): number | null {
    const busy = this.#pendingLines > 0 || this.#partialBytes > 0 || this.#flushing !== null;
    return busy || this.#closed ? null : now - this.#lastProgress;
  }

  /**
   * Answer bytes the client has not taken: the rest of the write under way
   * and the answers queued behind it.
   */
  unsentBytes(): number {
    if (this.#writing === 0 && this.#outBytes === 0) return 0;
    return this.#writing + encoder.encode(this.#out.join("")).length;
  }

  /** Closes the connection; answers still pending are dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#gone.abort();
    this.#slots.close();
    closeQuietly(this.#conn);
    this.#notify();
  }

  /**
   * Lets the answers of calls in flight be written (for up to `timeoutMs`),
   * then closes. Reading stops at once.
   */
  async finish(timeoutMs: number): Promise<void> {
    this.#reading = false;
    await settlesWithin(this.#settled(), timeoutMs);
    this.close();
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #handle(line: string | null): void {
    if (!this.#reading) return;
    this.#pendingLines++;
    const slots = this.#slots;
    const gate = {
      take: () => slots.take(),
      give: () => (slots.give(), this.#notify()),
    };
    (line === null
      ? Promise.resolve(NOT_UTF8)
      : answerLine(line, this.#call, { gate, counts: this.#counts, maxBatch: this.#maxBatch }))
      .catch(() => null)
      .then((answer) => {
        this.#pendingLines--;
        if (answer !== null) this.#send(answer);
        this.#notify();
      });
  }

  #send(line: string): void {
    if (this.#closed) return;
    this.#out.push(line, "\n");
    this.#outBytes += line.length + 1;
    this.#flushing ??= this.#flush();
  }

  async #flush(): Promise<void> {
    try {
      while (this.#out.length > 0 && !this.#closed) {
        const bytes = encoder.encode(this.#out.join(""));
        this.#out = [];
        this.#outBytes = 0;
        // Every write that takes bytes is progress: a slow reader is busy, not idle.
        for (let done = 0; done < bytes.length && !this.#closed;) {
          this.#writing = bytes.length - done;
          done += await this.#conn.write(bytes.subarray(done));
          this.#writing = bytes.length - done;
          this.#lastProgress = performance.now();
          this.#notify(); // bytes taken: reading may resume
        }
        this.#writing = 0;
      }
    } catch {
      this.close();
    } finally {
      this.#flushing = null;
      this.#notify();
    }
  }

  /**
   * True while the connection has as many calls in flight (batch elements
   * each count) or unsent answer bytes as it may: the bytes of the write
   * under way count, so a client that takes nothing of one big answer is
   * not read further.
   */
  #full(): boolean {
    return this.#slots.full || this.#writing + this.#outBytes > MAX_UNSENT_BYTES;
  }

  async #roomToRead(): Promise<void> {
    while (!this.#closed && this.#full()) await this.#changed();
  }

  /** Waits until every answer is computed and written. */
  async #settled(): Promise<void> {
    while (!this.#closed && (this.#pendingLines > 0 || this.#flushing !== null)) {
      await this.#changed();
    }
  }

  async #refuseLong(): Promise<void> {
    this.#send(TOO_LONG);
    await this.#flushing;
  }
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
