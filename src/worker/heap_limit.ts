/**
 * Inside a worker with a heap cap (`node:worker_threads` `resourceLimits`):
 * whether V8's heap limit has been raised since start-up. V8 raises it only
 * through the near-heap-limit callback, which Deno installs on a capped
 * worker to end it at its cap (it raises the limit and terminates the
 * isolate). Deno 2.9 at times loses that termination (in a timer callback,
 * for one) and the worker lives on past its cap, answering messages, without
 * an error event; this flag is how the host still learns of it.
 * `node:v8` is imported only here, and only by a capped worker.
 *
 * @module
 */

/** Reads the heap limit now and returns a test of "raised since then". */
export async function watchHeapLimit(): Promise<() => boolean> {
  const v8 = await import("node:v8");
  const atStart = v8.getHeapStatistics().heap_size_limit;
  return () => v8.getHeapStatistics().heap_size_limit > atStart;
}
