/**
 * The memory watchdog. V8 aborts the whole process when any isolate runs
 * out of heap, so a worker that allocates without end would take the host
 * down. The watchdog samples the process's RSS; past `--memory-limit` it asks
 * every worker of its host for its heap and kills the biggest one that
 * answers, if that heap explains the growth (its owner then logs why and
 * applies its restart policy). Otherwise, the growth being in a worker stuck
 * in synchronous code (which cannot answer, and which Deno cannot interrupt)
 * or elsewhere, it reports a fatal condition to the host (the command line
 * then exits with one clear line, before V8 aborts it with a C stack trace).
 *
 * @module
 */

import { FatalError } from "../base/errors.ts";
import type { LiveWorker, WorkerRegistry } from "../spawn/registry.ts";

const MIB = 1024 * 1024;
const SAMPLE_MS = 200;
const ANSWER_MS = 150;
/** Kill attempts that did not bring the RSS back under the limit before the host gives up. */
const MAX_FUTILE_KILLS = 3;
/** After a kill, the time the freed heap gets to show in the RSS. */
const SETTLE_MS = 1000;
/**
 * A worker explains the growth when its heap is at least this share of the
 * RSS gained since the lowest RSS seen: an innocent worker is never stopped.
 */
const EXPLAINS_SHARE = 0.5;

/** Watches the process's memory and kills the worker that grows it past the limit. */
export class MemoryWatchdog {
  #limitBytes: number;
  #workers: WorkerRegistry;
  #lowestRss = Infinity;
  #timer: ReturnType<typeof setInterval> | null = null;
  #checking = false;
  #futileKills = 0;
  #lastKill = -Infinity;
  #fatal: (error: FatalError) => void;

  /**
   * Watches for an RSS over `limitMiB` mebibytes, caused by one of
   * `workers`; `fatal` is told when no stop of a worker can bring it down.
   */
  constructor(limitMiB: number, workers: WorkerRegistry, fatal: (error: FatalError) => void) {
    this.#limitBytes = limitMiB * MIB;
    this.#workers = workers;
    this.#fatal = fatal;
  }

  /** Starts sampling; the RSS now is the first low mark (before any task allocates). */
  start(): void {
    this.#lowestRss = Math.min(this.#lowestRss, Deno.memoryUsage().rss);
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
    this.#lowestRss = Math.min(this.#lowestRss, rss);
    if (rss < this.#limitBytes) {
      this.#futileKills = 0;
      return;
    }
    if (performance.now() - this.#lastKill < SETTLE_MS && rss < this.#limitBytes * 1.25) return;
    this.#checking = true;
    try {
      const workers = [...this.#workers.live].filter((worker) => worker.inProcess);
      const heaps = await Promise.all(workers.map((worker) => worker.heapUsed(ANSWER_MS)));
      const answered = workers
        .map((worker, i) => ({ worker, heap: heaps[i] }))
        .filter((w): w is { worker: LiveWorker; heap: number } => w.heap !== null)
        .sort((a, b) => b.heap - a.heap);
      const silent = workers.filter((_, i) => heaps[i] === null);
      const biggest = answered[0];
      const growth = rss - this.#lowestRss;
      const explains = biggest !== undefined && biggest.heap >= growth * EXPLAINS_SHARE;
      if (explains && this.#futileKills < MAX_FUTILE_KILLS) {
        this.#futileKills++;
        this.#lastKill = performance.now();
        biggest.worker.kill({
          name: "MemoryLimitError",
          message: `out of memory: the host's RSS reached ${mib(rss)} MiB ` +
            `(--memory-limit ${mib(this.#limitBytes)} MiB) and this worker held ` +
            `${mib(biggest.heap)} MiB of heap, the most of all; it was stopped`,
        });
        return;
      }
      let reason: string;
      if (silent.length > 0) {
        reason = `the growth is in a worker stuck in synchronous code (${
          silent.map((worker) => worker.label).join(", ")
        }), which Deno cannot interrupt`;
      } else if (explains) {
        reason = `${MAX_FUTILE_KILLS} stops of the biggest worker did not bring it down`;
      } else {
        reason = `no worker's heap explains the growth of ${mib(growth)} MiB (the biggest: ${
          biggest ? `${biggest.worker.label}, ${mib(biggest.heap)} MiB` : "none answered"
        })`;
      }
      this.stop();
      this.#fatal(
        new FatalError(
          `out of memory: the host's RSS reached ${mib(rss)} MiB (--memory-limit ` +
            `${mib(this.#limitBytes)} MiB) and ${reason}`,
          "before V8 aborts the process",
        ),
      );
    } finally {
      this.#checking = false;
    }
  }
}

const mib = (bytes: number) => Math.round(bytes / MIB);
