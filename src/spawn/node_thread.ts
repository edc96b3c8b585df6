/**
 * A worker on `node:worker_threads` with a heap cap (`resourceLimits`): past
 * its cap V8 stops the thread alone and the host lives on. Deno 2.9 tells it
 * in one of four ways, measured (`repro/node_worker_heap_hang.ts`): an
 * `ERR_WORKER_OUT_OF_MEMORY` error; the thread ending without a word (its
 * port closes); or none at all, the worker living on in one of two states.
 * Its isolate may still run JavaScript, its heap limit raised by Deno's
 * near-heap-limit callback, while what was allocating was cut off. Or its
 * isolate stays terminated: the thread waits in its event loop, uses no CPU
 * and answers nothing. So a capped worker beats a heartbeat
 * (`shared/heartbeat.ts`), read here every {@link BEAT_MS}: a worker that
 * marks its limit raised is out of memory; one whose beats have stopped for
 * {@link HALT_MS} while its thread used no CPU and waited in its event loop
 * (`os_thread.ts`) is halted at its cap. A thread blocked in a synchronous
 * call waits elsewhere, and one that computes uses CPU: both are left alone.
 * Where the thread cannot be read (no `/proc`), a silent idle worker counts
 * as halted only when its last heap figure, or the host's growth since, is
 * over half its cap. Either way it is ended and reported as out of memory.
 *
 * @module
 */

import { type Transferable as NodeTransferable, Worker as NodeWorker } from "node:worker_threads";
import { errorInfo } from "../shared/error_text.ts";
import { Beat, BEAT_MS, heartbeatBuffer } from "../shared/heartbeat.ts";
import type { ErrorInfo, InitMessage } from "../shared/messages.ts";
import { log } from "../base/log.ts";
import { ThreadWorker } from "./thread.ts";
import { threadName, WORKER_URL } from "./web_thread.ts";
import type { WorkerEvents, WorkerOptions } from "./handle.ts";
import type { WorkerRegistry } from "./registry.ts";
import { newWorkerThread, threadIds, waitsInEventLoop } from "./os_thread.ts";

export { BEAT_MS };
/** A worker whose count has not moved for longer than this is silent, ms. */
const SILENT_MS = 2 * BEAT_MS;
/** Silence for this long more, with its thread idle in its event loop, is a halt at the cap, ms. */
export const HALT_MS = 250;
/** An idle thread uses less than this share of one core (its clock counts in 10 ms ticks). */
const IDLE_SHARE = 0.05;
/** Without a view of the thread: a heap over this share of the cap counts as high. */
const HIGH_SHARE = 0.5;
const MIB = 1024 * 1024;

/** The last error of a worker that ran out of its heap cap of `mib` MiB. */
export function outOfMemory(mib: number): ErrorInfo {
  return { name: "OutOfMemoryError", message: `out of memory (heap cap ${mib} MiB)` };
}

/** Deno's node Worker also tells its thread's CPU time (Node's types lack it). */
interface ThreadCpu {
  cpuUsage(): Promise<{ user: number; system: number }>;
}

/** One `node:worker_threads` worker with a heap cap. */
export class NodeWorkerHandle extends ThreadWorker {
  #worker: NodeWorker;
  #reader: ReturnType<typeof setInterval>;
  #beat = new Int32Array(heartbeatBuffer());
  /** The worker's OS thread, when it could be found. */
  #thread: string | null;
  /**
   * The threads before the worker's, while its thread is still to be found
   * (on a loaded machine it may start and name itself after the constructor
   * returns); the next few reads look again.
   */
  #before: Set<string> | null;
  #lookups = 0;
  /** The count at the last beat seen, when it was seen, and the host's RSS then. */
  #count = 0;
  #beatAt = performance.now();
  #rssThen = Deno.memoryUsage().rss;
  /** Since when the worker has been silent, and its thread's CPU time then (µs). */
  #quiet: { since: number; cpuUs: number } | null = null;
  #judging = false;

  /** Starts the worker and sends it `init`. Blocks for the worker's start-up. */
  constructor(
    init: InitMessage,
    events: WorkerEvents,
    registry: WorkerRegistry,
    options: WorkerOptions,
  ) {
    super(init, events, registry, options.sandbox);
    const mib = options.sandbox.heapMiB;
    const before = threadIds();
    this.#worker = new NodeWorker(WORKER_URL, {
      name: threadName(init),
      resourceLimits: { maxOldGenerationSizeMb: mib },
    });
    this.#thread = newWorkerThread(before);
    this.#before = this.#thread === null ? before : null;
    this.#worker.on("error", (error: Error & { code?: string }) => {
      this.kill(error?.code === "ERR_WORKER_OUT_OF_MEMORY" ? outOfMemory(mib) : errorInfo(error));
    });
    this.handOver(
      { ...init, heartbeat: this.#beat.buffer as SharedArrayBuffer },
      (message, transfer) => this.#worker.postMessage(message, transfer as NodeTransferable[]),
    );
    this.#beatAt = performance.now(); // the start-up above blocked this thread
    this.#reader = setInterval(() => this.#read(), BEAT_MS);
    Deno.unrefTimer(this.#reader);
  }

  /** Deno's `terminate()`. */
  protected terminateThread(): void {
    clearInterval(this.#reader);
    this.#worker.terminate();
  }

  /**
   * Deno at times ends a thread at its cap without an error: that is what it
   * is taken for when its heap was high; else it ended by itself.
   */
  protected override endedByItself(): ErrorInfo {
    if (this.#heapHigh()) return outOfMemory(this.sandbox.heapMiB);
    const { name, message } = super.endedByItself();
    return {
      name,
      message: `${message}, or out of its ${this.sandbox.heapMiB} MiB heap cap, which Deno ` +
        "2.9 does not always report",
    };
  }

  /** Reads the heartbeat: a raised limit is the cap reached; a stopped count is looked into. */
  #read(): void {
    if (!this.alive) return;
    if (this.#before !== null) {
      this.#thread = newWorkerThread(this.#before);
      if (this.#thread !== null || ++this.#lookups >= 8) this.#before = null;
    }
    if (Atomics.load(this.#beat, Beat.LIMIT_RAISED) === 1) {
      return this.#pastCap("V8 raised its heap limit at the cap, and it lives on");
    }
    const now = performance.now();
    const count = Atomics.load(this.#beat, Beat.COUNT);
    if (count !== this.#count) {
      this.#count = count;
      this.#beatAt = now;
      this.#rssThen = Deno.memoryUsage().rss;
      this.#quiet = null;
      return;
    }
    // Before its first beat the worker is still starting: nothing to judge.
    if (count === 0 || now - this.#beatAt < SILENT_MS || this.#judging) return;
    this.#judging = true;
    this.#judge(now).finally(() => this.#judging = false);
  }

  /** One look at a silent worker: halted at its cap, or computing, or blocked in a call. */
  async #judge(now: number): Promise<void> {
    let cpuUs: number;
    try {
      const { user, system } = await (this.#worker as unknown as ThreadCpu).cpuUsage();
      cpuUs = user + system;
    } catch {
      return; // ended meanwhile
    }
    if (!this.alive || Atomics.load(this.#beat, Beat.COUNT) !== this.#count) return;
    if (this.#quiet === null) {
      this.#quiet = { since: now, cpuUs };
      return;
    }
    if (now - this.#quiet.since < HALT_MS) return;
    const share = (cpuUs - this.#quiet.cpuUs) / 1000 / (now - this.#quiet.since);
    const halted = share < IDLE_SHARE &&
      (this.#thread === null
        ? this.#heapHigh()
        : waitsInEventLoop(this.#thread) ?? this.#heapHigh());
    if (halted) {
      return this.#pastCap(
        `it has not beaten for ${Math.round(now - this.#beatAt)} ms while its thread ` +
          "waited in its event loop, using no CPU",
      );
    }
    this.#quiet = { since: now, cpuUs }; // computing, or blocked in a call: not halted
  }

  /** Without a view of the thread: the last heap figure, or the host's growth since, is high. */
  #heapHigh(): boolean {
    const heap = Atomics.load(this.#beat, Beat.HEAP_KIB) * 1024;
    return Math.max(heap, Deno.memoryUsage().rss - this.#rssThen) >=
      this.sandbox.heapMiB * MIB * HIGH_SHARE;
  }

  #pastCap(why: string): void {
    const mib = this.sandbox.heapMiB;
    log().warn(
      "{worker} reached its {mib} MiB heap cap and Deno did not end it ({why}); terminated " +
        "as out of memory (a Deno 2.9 gap: repro/node_worker_heap_hang.ts)",
      { worker: this.label, mib, why },
    );
    this.kill(outOfMemory(mib));
  }
}
