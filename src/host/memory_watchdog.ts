/**
 * The memory watchdog. V8 aborts the whole process when any isolate runs
 * out of heap, so a worker that allocates without end would take the host
 * down. The watchdog samples the process's RSS; past `--memory-limit` it asks
 * every worker for its heap and kills the biggest one that answers (its
 * owner then logs why and applies its restart policy). A worker stuck in
 * synchronous code cannot answer, and Deno cannot interrupt it either
 * (`worker.terminate()` does not stop it): then the host exits with one
 * clear line, before V8 aborts it with a C stack trace.
 *
 * @module
 */

import { getHeapStatistics } from "node:v8";
import { EXIT_FATAL } from "../shared/errors.ts";
import { log } from "./log.ts";
import { liveWorkers, type WorkerHandle } from "./worker_handle.ts";

const MIB = 1024 * 1024;
const SAMPLE_MS = 200;
const ANSWER_MS = 150;
/** Kill attempts that did not bring the RSS back under the limit before the host gives up. */
const MAX_FUTILE_KILLS = 3;
/** After a kill, the time the freed heap gets to show in the RSS. */
const SETTLE_MS = 1000;

/** Watches the process's memory and kills the worker that grows it past the limit. */
export class MemoryWatchdog {
  #limitBytes: number;
  #timer: ReturnType<typeof setInterval> | null = null;
  #checking = false;
  #futileKills = 0;
  #lastKill = -Infinity;

  /** Watches for an RSS over `limitMiB` mebibytes. */
  constructor(limitMiB: number) {
    this.#limitBytes = limitMiB * MIB;
  }

  /** Starts sampling. */
  start(): void {
    this.#timer ??= setInterval(() => this.#check(), SAMPLE_MS);
    Deno.unrefTimer(this.#timer);
  }

  /** Stops sampling. */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #check(): Promise<void> {
    if (this.#checking) return;
    const rss = Deno.memoryUsage().rss;
    if (rss < this.#limitBytes) {
      this.#futileKills = 0;
      return;
    }
    if (performance.now() - this.#lastKill < SETTLE_MS && rss < this.#limitBytes * 1.25) return;
    this.#checking = true;
    try {
      const workers = [...liveWorkers];
      const heaps = await Promise.all(workers.map((worker) => worker.heapUsed(ANSWER_MS)));
      const answered = workers
        .map((worker, i) => ({ worker, heap: heaps[i] }))
        .filter((w): w is { worker: WorkerHandle; heap: number } => w.heap !== null)
        .sort((a, b) => b.heap - a.heap);
      const silent = workers.filter((_, i) => heaps[i] === null);
      const biggest = answered[0];
      if (biggest !== undefined && this.#futileKills < MAX_FUTILE_KILLS) {
        this.#futileKills++;
        this.#lastKill = performance.now();
        biggest.worker.kill({
          name: "MemoryLimitError",
          message: `out of memory: the host's RSS reached ${Math.round(rss / MIB)} MiB ` +
            `(--memory-limit ${Math.round(this.#limitBytes / MIB)} MiB) and this worker held ` +
            `${Math.round(biggest.heap / MIB)} MiB of heap, the most of all; it was stopped`,
        });
        return;
      }
      log().fatal(
        "out of memory: the host's RSS reached {rss} MiB (--memory-limit {limit} MiB) and the " +
          "growth is in a worker stuck in synchronous code ({workers}), which Deno cannot " +
          "interrupt; exiting before V8 aborts the process",
        {
          rss: Math.round(rss / MIB),
          limit: Math.round(this.#limitBytes / MIB),
          workers: silent.map((worker) => worker.label).join(", ") || "none answered",
        },
      );
      Deno.exit(EXIT_FATAL);
    } finally {
      this.#checking = false;
    }
  }
}

/** The default limit: three quarters of one isolate's heap limit, in MiB. */
export function defaultMemoryLimitMiB(): number {
  return Math.floor(getHeapStatistics().heap_size_limit * 0.75 / MIB);
}
