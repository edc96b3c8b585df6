/**
 * The worker's side of the shared channel (see `shared/channel_layout.ts`):
 * while calls come, a waiting worker blocks in `Atomics.wait` for up to
 * `IDLE_SLICE_MS` at a time, then gives its event loop one turn (messages,
 * timers a function left behind); a futex wake-up is the cheapest way to get
 * a call to it. After `ASYNC_AFTER_MS` without a call it waits with
 * `Atomics.waitAsync` instead, so an idle worker costs no CPU.
 *
 * @module
 */

import {
  ANSWER_KINDS,
  type AnswerKind,
  ASYNC_AFTER_MS,
  channelArrays,
  Field,
  IDLE_SLICE_MS,
  type SharedRequest,
} from "../shared/channel_layout.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Settings of a {@link WorkerChannel}. */
export interface WorkerChannelOptions {
  /** The clock, in milliseconds (default `performance.now`). */
  readonly now?: () => number;
}

/** The worker's end of its channel. */
export class WorkerChannel {
  #header: Int32Array;
  #bytes: Uint8Array;
  #seenRequests: number;
  #now: () => number;
  #lastRequest: number;

  /**
   * Wraps the buffer the host sent, before the host can send a request: the
   * request count found now is the one already seen (it need not be 0).
   */
  constructor(buffer: SharedArrayBuffer, options: WorkerChannelOptions = {}) {
    ({ header: this.#header, bytes: this.#bytes } = channelArrays(buffer));
    this.#seenRequests = Atomics.load(this.#header, Field.REQUESTS);
    this.#now = options.now ?? (() => performance.now());
    this.#lastRequest = this.#now();
  }

  /**
   * How the worker waits now: "block" (`Atomics.wait` in slices) while a
   * request came within `ASYNC_AFTER_MS`, else "async" (`Atomics.waitAsync`).
   */
  get waiting(): "block" | "async" {
    return this.#now() - this.#lastRequest < ASYNC_AFTER_MS ? "block" : "async";
  }

  /**
   * Waits for the next request, giving the event loop a turn after every
   * slice that passed without one.
   */
  async next(): Promise<SharedRequest> {
    const header = this.#header;
    // The request count must really have moved: a wake-up alone proves nothing.
    while (Atomics.load(header, Field.REQUESTS) === this.#seenRequests) {
      if (this.waiting === "async") {
        const wait = Atomics.waitAsync(header, Field.REQUESTS, this.#seenRequests);
        if (wait.async) await wait.value;
      } else if (
        Atomics.wait(header, Field.REQUESTS, this.#seenRequests, IDLE_SLICE_MS) === "timed-out"
      ) {
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
    this.#lastRequest = this.#now();
    this.#seenRequests = Atomics.load(header, Field.REQUESTS);
    const bytes = this.#bytes.slice(0, header[Field.REQUEST_BYTES]);
    const fnBytes = header[Field.FN_BYTES];
    const traceEnd = fnBytes + header[Field.TRACE_BYTES];
    const request = {
      id: header[Field.REQUEST_ID],
      fn: decoder.decode(bytes.subarray(0, fnBytes)),
      data: decoder.decode(bytes.subarray(traceEnd)),
    };
    return traceEnd === fnBytes
      ? request
      : { ...request, traceparent: decoder.decode(bytes.subarray(fnBytes, traceEnd)) };
  }

  /**
   * Answers the current request. Returns false, having sent nothing but a
   * "by-message" mark, when `text` does not fit: the worker then sends the
   * answer by postMessage.
   */
  answer(kind: Exclude<AnswerKind, "by-message">, text: string): boolean {
    const header = this.#header;
    const written = encoder.encodeInto(text, this.#bytes);
    const fits = written.read === text.length;
    header[Field.ANSWER_KIND] = ANSWER_KINDS.indexOf(fits ? kind : "by-message");
    header[Field.ANSWER_BYTES] = fits ? written.written : 0;
    header[Field.ANSWER_ID] = header[Field.REQUEST_ID];
    header[Field.RUN_US] = Math.min(2 ** 31 - 1, (this.#now() - this.#lastRequest) * 1000);
    Atomics.add(header, Field.ANSWERS, 1);
    Atomics.notify(header, Field.ANSWERS);
    return fits;
  }
}
