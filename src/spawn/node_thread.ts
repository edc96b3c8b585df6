/**
 * A worker on `node:worker_threads` with a heap cap (`resourceLimits`): past
 * its cap V8 stops the thread alone and the host lives on. Deno 2.9 tells it
 * in one of four ways, measured (`repro/node_worker_heap_hang.ts`): an
 * `ERR_WORKER_OUT_OF_MEMORY` error; the thread ending without a word (its
 * port closes); or none at all, the worker living on in one of two states.
 * Its isolate may still run JavaScript, its heap limit raised by Deno's
 * near-heap-limit callback, while what was allocating was cut off: it
 * answers pings, and says that its limit was raised. Or its isolate stays
 * terminated: the thread waits in its event loop, uses no CPU and answers
 * nothing. So a capped worker is pinged every {@link PING_EVERY_MS}; one
 * that says its limit was raised is out of memory; one that has answered
 * nothing for {@link HALT_MS} while its thread used no CPU and waited in its
 * event loop (`os_thread.ts`) is halted at its cap. A thread blocked in a
 * synchronous call waits elsewhere, and is left alone. Where the thread
 * cannot be read (no `/proc`), a silent idle worker counts as halted only
 * when its last heap figure, or the host's growth since, is over half its
 * cap. Either way it is ended and reported as out of memory.
 *
 * @module
 */

import { type Transferable as NodeTransferable, Worker as NodeWorker } from "node:worker_threads";
import { errorInfo } from "../shared/error_text.ts";
import type { ErrorInfo, InitMessage, WorkerToHost } from "../shared/messages.ts";
import { log } from "../host/log.ts";
import { ThreadWorker } from "./thread.ts";
import { threadName, WORKER_URL } from "./web_thread.ts";
import type { WorkerEvents, WorkerOptions } from "./handle.ts";
import type { WorkerRegistry } from "./registry.ts";
import { newWorkerThread, threadIds, waitsInEventLoop } from "./os_thread.ts";

/** How often a capped worker is asked for its heap, ms. */
export const PING_EVERY_MS = 250;
/** A worker that has answered nothing for longer than this is silent, ms. */
const SILENT_MS = 2 * PING_EVERY_MS;
/** Silence for this long, with its thread idle in its event loop, is a halt at the cap, ms. */
export const HALT_MS = 500;
/** An idle thread uses less than this share of one core (the clock counts in 10 ms ticks). */
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
  #pinger: ReturnType<typeof setInterval>;
  /** The worker's OS thread, when it could be found. */
  #thread: string | null;
  /** The heap in use at the worker's last answer, and the host's RSS then, bytes. */
  #lastHeap = 0;
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
    this.#worker.on("error", (error: Error & { code?: string }) => {
      this.kill(error?.code === "ERR_WORKER_OUT_OF_MEMORY" ? outOfMemory(mib) : errorInfo(error));
    });
    this.handOver(
      { ...init, heapCapped: true },
      (message, transfer) => this.#worker.postMessage(message, transfer as NodeTransferable[]),
    );
    this.#pinger = setInterval(() => this.#watch(), PING_EVERY_MS);
    Deno.unrefTimer(this.#pinger);
  }

  /** Deno's `terminate()`. */
  protected terminateThread(): void {
    clearInterval(this.#pinger);
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

  /** Notes the heap figure of each answer to a ping; a raised heap limit is the cap reached. */
  protected override heard(message: WorkerToHost): void {
    if (message.type === "stats") {
      this.#lastHeap = message.heapUsed;
      this.#rssThen = Deno.memoryUsage().rss;
      if (message.heapLimitRaised && this.alive) {
        return this.#pastCap("its heap limit was raised at the cap, and it lives on");
      }
    }
    super.heard(message);
  }

  async #watch(): Promise<void> {
    const now = performance.now();
    if (now - this.lastHeard < SILENT_MS) {
      this.#quiet = null;
      return this.post({ type: "stats" });
    }
    this.post({ type: "stats" });
    if (this.#judging) return;
    this.#judging = true;
    try {
      await this.#judge(now);
    } finally {
      this.#judging = false;
    }
  }

  /** One look at a silent worker: halted at its cap, or busy, or blocked in a call. */
  async #judge(now: number): Promise<void> {
    let cpuUs: number;
    try {
      const { user, system } = await (this.#worker as unknown as ThreadCpu).cpuUsage();
      cpuUs = user + system;
    } catch {
      return; // ended meanwhile
    }
    if (!this.alive || performance.now() - this.lastHeard < SILENT_MS) return;
    if (this.#quiet === null) {
      this.#quiet = { since: now, cpuUs };
      return;
    }
    if (now - this.#quiet.since < HALT_MS) return;
    const share = (cpuUs - this.#quiet.cpuUs) / 1000 / (now - this.#quiet.since);
    const idle = share < IDLE_SHARE &&
      (this.#thread === null ? this.#heapHigh() : waitsInEventLoop(this.#thread) ?? this.#heapHigh());
    if (idle) {
      return this.#pastCap(
        `it has answered nothing for ${Math.round(now - this.lastHeard)} ms while its thread ` +
          "waited in its event loop, using no CPU",
      );
    }
    this.#quiet = { since: now, cpuUs }; // busy, or blocked in a call: not halted
  }

  /** Without a view of the thread: the last heap figure, or the host's growth since, is high. */
  #heapHigh(): boolean {
    return Math.max(this.#lastHeap, Deno.memoryUsage().rss - this.#rssThen) >=
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
