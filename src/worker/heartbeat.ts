/**
 * Inside a worker with a heap cap: the beats of its heartbeat (see
 * `shared/heartbeat.ts`). `node:v8` is imported only here, and only by a
 * capped worker, where Deno's Node layer is loaded anyway.
 *
 * @module
 */

import { Beat, BEAT_MS } from "../shared/heartbeat.ts";

/**
 * Reads V8's heap limit now, then beats every {@link BEAT_MS} into `buffer`
 * until the worker ends; resolves once the first beat is written.
 */
export async function startHeartbeat(buffer: SharedArrayBuffer): Promise<void> {
  const v8 = await import("node:v8");
  const atStart = v8.getHeapStatistics().heap_size_limit;
  const slots = new Int32Array(buffer);
  const beat = () => {
    const { heap_size_limit, used_heap_size } = v8.getHeapStatistics();
    Atomics.store(slots, Beat.HEAP_KIB, Math.min(used_heap_size / 1024, 2 ** 31 - 1) | 0);
    if (heap_size_limit > atStart) Atomics.store(slots, Beat.LIMIT_RAISED, 1);
    Atomics.add(slots, Beat.COUNT, 1);
  };
  beat();
  Deno.unrefTimer(setInterval(beat, BEAT_MS));
}
