/**
 * The heartbeat of a thread worker with a heap cap: a small
 * SharedArrayBuffer that the worker writes on a timer of its own, and the
 * host reads without a message. Each beat bumps a count, writes the heap in
 * use, and marks whether V8 has raised the worker's heap limit since
 * start-up: only the near-heap-limit callback raises it, and Deno's raises
 * it as it ends the worker at its cap; when Deno 2.9 then loses the end,
 * the worker lives on past its cap (`repro/node_worker_heap_hang.ts`) and
 * this mark is how the host learns of it. A count that stops moving tells
 * the host that the worker's event loop no longer turns. The host side is
 * `spawn/node_thread.ts`, the worker side `worker/heartbeat.ts`.
 *
 * @module
 */

/** How often a capped worker beats, ms. */
export const BEAT_MS = 250;

/** The Int32 slots of the heartbeat. */
export const Beat = {
  /** Bumped at each beat; wraps, only change is compared. */
  COUNT: 0,
  /** The heap in use at the last beat, KiB. */
  HEAP_KIB: 1,
  /** 1 once V8's heap limit is above what it was at start-up. */
  LIMIT_RAISED: 2,
} as const;

/** A new heartbeat buffer, all slots 0. */
export function heartbeatBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
}
