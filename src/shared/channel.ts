/**
 * The fast hop between the host and a warm RPC worker: one call at a time
 * through a SharedArrayBuffer, signalled with Atomics. It skips postMessage's
 * serialization and event dispatch. The host waits with `Atomics.waitAsync`
 * (its thread never blocks). An idle worker blocks in `Atomics.wait` for up
 * to {@link IDLE_SLICE_MS} at a time, then gives its event loop one turn
 * (messages, timers a function left behind): a futex wake-up is the cheapest
 * way to get a call to it. A request or an answer too large for the buffer
 * goes by postMessage instead (`run` / `result` messages).
 *
 * @module
 */

/** Bytes for the request or the answer. */
export const CAPACITY = 64 * 1024;
/** Longest an idle worker blocks before its event loop gets a turn, in ms. */
export const IDLE_SLICE_MS = 20;
const HEADER_BYTES = 32;
// Int32 slots of the header.
const REQUESTS = 0; // bumped by the host for each request
const ANSWERS = 1; // bumped by the worker for each answer
const REQUEST_ID = 2;
const FN_BYTES = 3;
const REQUEST_BYTES = 4;
const ANSWER_KIND = 5;
const ANSWER_BYTES = 6;
const ANSWER_ID = 7; // the id of the request answered, checked by the host

/**
 * How a call ended: its value's JSON, the error it threw, a value without
 * JSON form, or "sent by message" (the answer did not fit).
 */
export type AnswerKind = "result" | "threw" | "not-json" | "by-message";
const KINDS: readonly AnswerKind[] = ["result", "threw", "not-json", "by-message"];

/** An answer read from the channel: its kind and its text (JSON). */
export interface SharedAnswer {
  readonly kind: AnswerKind;
  readonly text: string;
}

/** A request read from the channel. */
export interface SharedRequest {
  readonly id: number;
  readonly fn: string;
  readonly data: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One SharedArrayBuffer shared by the host and one worker. */
export class SharedChannel {
  /** The buffer to hand to the worker in its init message. */
  readonly buffer: SharedArrayBuffer;
  #header: Int32Array;
  #bytes: Uint8Array;
  #seenRequests = 0;

  /** Wraps `buffer`, or a new one. */
  constructor(buffer = new SharedArrayBuffer(HEADER_BYTES + CAPACITY)) {
    this.buffer = buffer;
    this.#header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.#bytes = new Uint8Array(buffer, HEADER_BYTES);
  }

  /**
   * Host side: sends a request and resolves with its answer; null (nothing
   * sent) when the request does not fit or is not well-formed Unicode. Rejects if the answer is not the
   * one to this request (the channel must then be dropped).
   */
  call(id: number, fn: string, data: string): Promise<SharedAnswer> | null {
    // UTF-8 cannot carry a lone surrogate; postMessage can.
    if (!fn.isWellFormed() || !data.isWellFormed()) return null;
    const name = encoder.encodeInto(fn, this.#bytes);
    if (name.read < fn.length) return null;
    const body = encoder.encodeInto(data, this.#bytes.subarray(name.written));
    if (body.read < data.length) return null;
    const header = this.#header;
    header[REQUEST_ID] = id;
    header[FN_BYTES] = name.written;
    header[REQUEST_BYTES] = name.written + body.written;
    const answers = Atomics.load(header, ANSWERS);
    Atomics.add(header, REQUESTS, 1);
    Atomics.notify(header, REQUESTS);
    return this.#answerAfter(answers, id);
  }

  /**
   * Resolves with the answer once the answer count has moved past `answers`.
   * The count is checked again after every wake-up: a wake-up alone proves
   * nothing (under load, waits were seen to return "ok" without a new answer).
   */
  async #answerAfter(answers: number, id: number): Promise<SharedAnswer> {
    const header = this.#header;
    while (Atomics.load(header, ANSWERS) === answers) {
      const wait = Atomics.waitAsync(header, ANSWERS, answers);
      if (wait.async) await wait.value;
    }
    if (header[ANSWER_ID] !== id || Atomics.load(header, ANSWERS) !== answers + 1) {
      throw new Error(`the shared channel is out of step (request ${id})`);
    }
    return this.#answer();
  }

  #answer(): SharedAnswer {
    const header = this.#header;
    return {
      kind: KINDS[header[ANSWER_KIND]],
      text: decoder.decode(this.#bytes.slice(0, header[ANSWER_BYTES])),
    };
  }

  /** Worker side: waits for the next request, giving the event loop a turn every slice. */
  async next(): Promise<SharedRequest> {
    const header = this.#header;
    // The request count must really have moved: a wake-up alone proves nothing.
    while (Atomics.load(header, REQUESTS) === this.#seenRequests) {
      if (Atomics.wait(header, REQUESTS, this.#seenRequests, IDLE_SLICE_MS) === "timed-out") {
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
    this.#seenRequests = Atomics.load(header, REQUESTS);
    const bytes = this.#bytes.slice(0, header[REQUEST_BYTES]);
    const fnBytes = header[FN_BYTES];
    return {
      id: header[REQUEST_ID],
      fn: decoder.decode(bytes.subarray(0, fnBytes)),
      data: decoder.decode(bytes.subarray(fnBytes)),
    };
  }

  /**
   * Worker side: answers the current request. Returns false, having sent
   * nothing but a "by-message" mark, when `text` does not fit: the worker
   * then sends the answer by postMessage.
   */
  answer(kind: Exclude<AnswerKind, "by-message">, text: string): boolean {
    const header = this.#header;
    const written = encoder.encodeInto(text, this.#bytes);
    const fits = written.read === text.length;
    header[ANSWER_KIND] = KINDS.indexOf(fits ? kind : "by-message");
    header[ANSWER_BYTES] = fits ? written.written : 0;
    header[ANSWER_ID] = header[REQUEST_ID];
    Atomics.add(header, ANSWERS, 1);
    Atomics.notify(header, ANSWERS);
    return fits;
  }
}
