/**
 * The host's side of the shared channel (see `shared/channel_layout.ts`):
 * writes a request, wakes the worker, and waits for the answer: by a short
 * spin when `hop_policy.ts` says the call is alone and quick, else with
 * `Atomics.waitAsync`, so the host's thread never blocks for long. Closing
 * the channel ends the wait: nothing stays pending once a call has ended.
 *
 * @module
 */

import {
  ANSWER_KINDS,
  channelArrays,
  Field,
  newChannelBuffer,
  nextCount,
  type SharedAnswer,
} from "../shared/channel_layout.ts";
import { type HopPolicy, sharedHopPolicy } from "./hop_policy.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Settings of a {@link HostChannel}. */
export interface HostChannelOptions {
  /**
   * Where the request and answer counts start (default 0), an Int32; tests
   * start them just below the wrap.
   */
  readonly counterStart?: number;
  /** How to wait for answers, shared with other channels (default: the process's). */
  readonly policy?: HopPolicy;
}

/** The host's end of one worker's channel. */
export class HostChannel {
  /** The buffer to hand to the worker in its init message. */
  readonly buffer: SharedArrayBuffer = newChannelBuffer();
  #header: Int32Array;
  #bytes: Uint8Array;
  #closed = false;
  #policy: HopPolicy;

  /** A new channel on a new buffer, its counts at `counterStart`. */
  constructor(options: HostChannelOptions = {}) {
    ({ header: this.#header, bytes: this.#bytes } = channelArrays(this.buffer));
    this.#policy = options.policy ?? sharedHopPolicy;
    const start = (options.counterStart ?? 0) | 0;
    this.#header[Field.REQUESTS] = start;
    this.#header[Field.ANSWERS] = start;
  }

  /**
   * Sends a request (with the `traceparent` of its span, when traced) and resolves with its answer; null (nothing sent) when
   * the request does not fit or is not well-formed Unicode. Rejects if the
   * answer is not the one to this request (the channel must then be
   * dropped), or once the channel is closed.
   */
  call(id: number, fn: string, data: string, traceparent = ""): Promise<SharedAnswer> | null {
    // UTF-8 cannot carry a lone surrogate; postMessage can.
    if (!fn.isWellFormed() || !data.isWellFormed()) return null;
    const name = encoder.encodeInto(fn, this.#bytes);
    if (name.read < fn.length) return null;
    // a traceparent is ASCII (the host made it): one byte per character
    const trace = encoder.encodeInto(traceparent, this.#bytes.subarray(name.written));
    if (trace.read < traceparent.length) return null;
    const before = name.written + trace.written;
    const body = encoder.encodeInto(data, this.#bytes.subarray(before));
    if (body.read < data.length) return null;
    const header = this.#header;
    header[Field.REQUEST_ID] = id;
    header[Field.FN_BYTES] = name.written;
    header[Field.TRACE_BYTES] = trace.written;
    header[Field.REQUEST_BYTES] = before + body.written;
    const policy = this.#policy;
    const spinUs = policy.spinUs(fn);
    policy.started();
    const answers = Atomics.load(header, Field.ANSWERS);
    Atomics.add(header, Field.REQUESTS, 1);
    Atomics.notify(header, Field.REQUESTS);
    if (spinUs === 0) return this.#answerAfter(answers, id, fn, false);
    if (!this.#spin(answers, policy.now() + spinUs / 1000)) {
      return this.#answerAfter(answers, id, fn, true);
    }
    try {
      return Promise.resolve(this.#ended(answers, id, fn, true, true));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Spins until the answer count moves past `answers` or the clock reaches `until`. */
  #spin(answers: number, until: number): boolean {
    const header = this.#header, now = this.#policy.now;
    while (Atomics.load(header, Field.ANSWERS) === answers) {
      if (now() >= until) return false;
    }
    return true;
  }

  /**
   * Drops the channel: a call still waiting for its answer rejects at once,
   * so neither its promise nor the buffer outlives the call.
   */
  close(): void {
    this.#closed = true;
    Atomics.notify(this.#header, Field.ANSWERS);
  }

  /**
   * Resolves with the answer once the answer count has moved past `answers`.
   * The count is checked again after every wake-up: a wake-up alone proves
   * nothing (under load, waits were seen to return "ok" without a new answer).
   */
  async #answerAfter(
    answers: number,
    id: number,
    fn: string,
    spun: boolean,
  ): Promise<SharedAnswer> {
    const header = this.#header;
    while (!this.#closed && Atomics.load(header, Field.ANSWERS) === answers) {
      const wait = Atomics.waitAsync(header, Field.ANSWERS, answers);
      if (wait.async) await wait.value;
    }
    if (this.#closed) {
      this.#policy.abandoned();
      throw new Error(`the shared channel was closed (request ${id})`);
    }
    return this.#ended(answers, id, fn, spun, false);
  }

  /**
   * Tells the policy how the call went and reads its answer, once the answer
   * count has moved past `answers`; throws if the answer is not to `id`.
   */
  #ended(answers: number, id: number, fn: string, spun: boolean, caught: boolean): SharedAnswer {
    const header = this.#header;
    this.#policy.ended(fn, header[Field.RUN_US], spun, caught);
    if (
      header[Field.ANSWER_ID] !== id || Atomics.load(header, Field.ANSWERS) !== nextCount(answers)
    ) {
      throw new Error(`the shared channel is out of step (request ${id})`);
    }
    return {
      kind: ANSWER_KINDS[header[Field.ANSWER_KIND]],
      text: decoder.decode(this.#bytes.slice(0, header[Field.ANSWER_BYTES])),
    };
  }
}
