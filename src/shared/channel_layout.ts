/**
 * The layout of the shared channel, the fast hop between the host and a warm
 * RPC worker: one call at a time through a SharedArrayBuffer, signalled with
 * Atomics, skipping postMessage's serialization and event dispatch. The host
 * side is `pool/channel.ts`, the worker side `worker/channel.ts`. A request
 * or an answer too large for the buffer goes by postMessage instead.
 *
 * @module
 */

/** Bytes for the request or the answer. */
export const CAPACITY = 64 * 1024;
/**
 * Longest a worker blocks in `Atomics.wait` before its event loop gets a
 * turn, and longest it goes without a turn under a stream of calls, in ms.
 */
export const IDLE_SLICE_MS = 20;
/**
 * After this long without a request, in ms, an idle worker waits with
 * `Atomics.waitAsync` instead: its event loop runs freely, and it costs no
 * CPU until a request comes.
 */
export const ASYNC_AFTER_MS = 500;
/** Bytes of the header: sixteen Int32 fields. */
export const HEADER_BYTES = 64;

/**
 * The Int32 fields of the header. The two counts and the request id wrap
 * from 2^31 - 1 to -2^31 (see {@link nextCount}): only equality is compared.
 */
export const Field = {
  /** Bumped by the host for each request. */
  REQUESTS: 0,
  /** Bumped by the worker for each answer. */
  ANSWERS: 1,
  REQUEST_ID: 2,
  FN_BYTES: 3,
  REQUEST_BYTES: 4,
  ANSWER_KIND: 5,
  ANSWER_BYTES: 6,
  /** The id of the request answered, checked by the host. */
  ANSWER_ID: 7,
  /** How long the worker ran the call, in µs (capped at 2^31 - 1): the host's estimates. */
  RUN_US: 8,
  /** Bytes of the request's `traceparent`, written after the function's name (0: none). */
  TRACE_BYTES: 9,
} as const;

/**
 * How a call ended: its value's JSON, the error it threw, a value without
 * JSON form, or "sent by message" (the answer did not fit).
 */
export type AnswerKind = "result" | "threw" | "not-json" | "by-message";
/** The answer kinds, by their number in the header. */
export const ANSWER_KINDS: readonly AnswerKind[] = ["result", "threw", "not-json", "by-message"];

/** An answer read from the channel: its kind and its text (JSON). */
export interface SharedAnswer {
  /** How the call ended. */
  readonly kind: AnswerKind;
  /** The value's JSON, or the error as JSON text. */
  readonly text: string;
}

/** A request read from the channel. */
export interface SharedRequest {
  /** The call's id. */
  readonly id: number;
  /** The function to run. */
  readonly fn: string;
  /** Its argument. */
  readonly data: string;
  /** The `traceparent` of the host's span of the call, with OpenTelemetry on. */
  readonly traceparent?: string;
}

/** The two typed arrays over a channel's buffer. */
export interface ChannelArrays {
  /** The header's Int32 fields. */
  readonly header: Int32Array;
  /** The bytes of the request and of the answer. */
  readonly bytes: Uint8Array;
}

/** The header and the payload area of `buffer`. */
export function channelArrays(buffer: SharedArrayBuffer): ChannelArrays {
  return {
    header: new Int32Array(buffer, 0, HEADER_BYTES / 4),
    bytes: new Uint8Array(buffer, HEADER_BYTES),
  };
}

/** A new, zeroed buffer for one channel. */
export function newChannelBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + CAPACITY);
}

/**
 * The count or id after `n`, as an Int32 field holds it: 2^31 - 1 is
 * followed by -2^31, so a value read back from the header compares equal.
 */
export function nextCount(n: number): number {
  return (n + 1) | 0;
}
