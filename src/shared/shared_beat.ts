/**
 * The beat of an `isolation=shared` group's thread: a small
 * SharedArrayBuffer that the thread bumps on a timer of its own and the host
 * reads without a message, so a thread blocked in synchronous code is seen
 * although it can answer nothing. The thread also writes which invocation
 * last had control (at its start, at each of its timers and `KSR` calls), so
 * the host can name the one that blocked it. The host side is
 * `spawn/shared_group.ts`, the thread's `worker/carrier.ts`.
 *
 * @module
 */

/** How often a group's thread beats, ms. */
export const SHARED_BEAT_MS = 100;

/** The Int32 slots of the beat. */
export const SharedBeat = {
  /** Bumped at each beat; wraps, only change is compared. */
  COUNT: 0,
  /** The invocation that last had control (its number), or -1. */
  CURRENT: 1,
} as const;

/** A new beat buffer: no beat yet, no invocation. */
export function sharedBeatBuffer(): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  new Int32Array(buffer)[SharedBeat.CURRENT] = -1;
  return buffer;
}
