/**
 * Figures for live views such as `deno task top`: `evrexec.functions`
 * (each function's counters and durations, as a histogram and as p50/p99)
 * and `evrexec.heap` (each worker's heap in use, asked of the worker).
 *
 * @module
 */

import type { HostAccess } from "../host_access.ts";
import type { WorkerSlot } from "../../spawn/worker_states.ts";
import { DURATION_BUCKETS, quantile } from "../../observe/histogram.ts";
import { functionNames } from "../../observe/stat_rows.ts";
import type { MethodMap } from "../../rpc/dispatch.ts";

/** How long a worker gets to tell its heap; one busy in synchronous code answers null. */
const HEAP_ANSWER_MS = 200;

/** A worker that can tell its heap in use. */
interface HeapTeller {
  heapUsed(timeoutMs: number): Promise<number | null>;
}

/** Milliseconds to a thousandth, or null. */
const ms = (seconds: number | null) => seconds === null ? null : Math.round(seconds * 1e6) / 1e3;

/** Adds `evrexec.functions` and `evrexec.heap` to `methods`. */
export function addObserveMethods(methods: MethodMap, host: HostAccess): void {
  methods.set("evrexec.functions", {
    params: [],
    help:
      "Each function called over RPC: calls, errors, timeouts, busy, p50/p99 ms since the start, and its duration histogram (bounds_s; counts per bucket, the last above every bound).",
    call: () => ({
      counting: host.stats.counting,
      bounds_s: DURATION_BUCKETS,
      functions: functionNames(host).map((name) => {
        const counts = host.stats.functions.get(name);
        const buckets = counts ? [...counts.durations.counts] : DURATION_BUCKETS.map(() => 0);
        if (!counts) buckets.push(0);
        return {
          name,
          calls: counts?.calls ?? 0,
          errors: counts?.errors ?? 0,
          timeouts: counts?.timeouts ?? 0,
          busy: counts?.busy ?? 0,
          duration_sum_s: counts?.durations.sum ?? 0,
          p50_ms: ms(quantile(buckets, 0.5)),
          p99_ms: ms(quantile(buckets, 0.99)),
          buckets,
        };
      }),
    }),
  });
  methods.set("evrexec.heap", {
    params: [],
    help:
      "Each worker's heap in use, in bytes, asked of the worker (null when it does not answer within 200 ms: busy in synchronous code).",
    async call() {
      const workers: { slot: WorkerSlot; handle: HeapTeller | null }[] = [
        ...host.supervisors.flatMap((s) =>
          s.slots.map((slot) => ({ slot, handle: s.workerOf(slot.index) }))
        ),
        ...host.pool.workers(),
      ];
      const heaps = await Promise.all(
        workers.map(({ handle }) => handle?.heapUsed(HEAP_ANSWER_MS) ?? null),
      );
      return workers.map(({ slot }, i) => ({
        IDX: slot.id,
        role: slot.role,
        task: slot.task,
        index: slot.index,
        state: slot.state,
        heap_used: heaps[i],
      }));
    },
  });
}
