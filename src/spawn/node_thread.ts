/**
 * A worker on `node:worker_threads` with a heap cap (`resourceLimits`): past
 * its cap V8 stops the thread alone and the host lives on. Deno 2.9 tells it
 * in one of three ways, measured: an `ERR_WORKER_OUT_OF_MEMORY` error; the
 * thread ending without a word (its port closes); or, for code that fills
 * the heap without yielding, none at all: the thread halts, answers nothing
 * and uses no CPU. So a capped worker is pinged every {@link PING_EVERY_MS}
 * and reports its heap; one that has answered nothing for {@link HALT_MS}
 * while its thread used (almost) no CPU, and whose last heap figure, or the
 * host's growth since, is over half its cap, is taken for halted at its cap
 * and ended as out of memory (a thread blocked in a synchronous call grows
 * nothing, and is left alone).
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

/** How often a capped worker is asked for its heap, ms. */
const PING_EVERY_MS = 2000;
/** Silence for this long, with its thread idle and its heap high, is a halt at the cap, ms. */
export const HALT_MS = 10_000;
/** An idle thread uses less than this share of one core. */
const IDLE_SHARE = 0.02;
/** A heap over this share of the cap at the last answer counts as high. */
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
  /** The heap in use at the worker's last answer, and the host's RSS then, bytes. */
  #lastHeap = 0;
  #rssThen = Deno.memoryUsage().rss;
  /** Since when the worker has been quiet, and its thread's CPU time then (µs). */
  #quiet: { since: number; cpuUs: number } | null = null;

  /** Starts the worker and sends it `init`. Blocks for the worker's start-up. */
  constructor(
    init: InitMessage,
    events: WorkerEvents,
    registry: WorkerRegistry,
    options: WorkerOptions,
  ) {
    super(init, events, registry, options.sandbox);
    const mib = options.sandbox.heapMiB;
    this.#worker = new NodeWorker(WORKER_URL, {
      name: threadName(init),
      resourceLimits: { maxOldGenerationSizeMb: mib },
    });
    this.#worker.on("error", (error: Error & { code?: string }) => {
      this.kill(error?.code === "ERR_WORKER_OUT_OF_MEMORY" ? outOfMemory(mib) : errorInfo(error));
    });
    this.handOver(
      init,
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

  /** Deno at times ends a thread at its cap without an error: that is what it is taken for. */
  protected override endedByItself(): ErrorInfo {
    return outOfMemory(this.sandbox.heapMiB);
  }

  /** Notes the heap figure of each answer to a ping. */
  protected override heard(message: WorkerToHost): void {
    if (message.type === "stats") {
      this.#lastHeap = message.heapUsed;
      this.#rssThen = Deno.memoryUsage().rss;
    }
    super.heard(message);
  }

  async #watch(): Promise<void> {
    const now = performance.now();
    if (now - this.lastHeard < PING_EVERY_MS * 1.5) {
      this.#quiet = null;
      return this.post({ type: "stats" });
    }
    let cpuUs: number;
    try {
      const { user, system } = await (this.#worker as unknown as ThreadCpu).cpuUsage();
      cpuUs = user + system;
    } catch {
      return; // ended meanwhile
    }
    if (!this.alive) return;
    if (this.#quiet === null) this.#quiet = { since: now, cpuUs };
    else if (now - this.#quiet.since >= HALT_MS) {
      const share = (cpuUs - this.#quiet.cpuUs) / 1000 / (now - this.#quiet.since);
      const high = Math.max(this.#lastHeap, Deno.memoryUsage().rss - this.#rssThen) >=
        this.sandbox.heapMiB * MIB * HIGH_SHARE;
      if (share < IDLE_SHARE && high) return this.#halted();
      this.#quiet = { since: now, cpuUs }; // busy, or blocked in a call: not halted
    }
    this.post({ type: "stats" });
  }

  #halted(): void {
    const mib = this.sandbox.heapMiB;
    log().warn(
      "{worker} has answered nothing for {s} s while its thread used no CPU and its heap, " +
        "or the host, grew to half its {mib} MiB cap or more: taken as halted at its cap " +
        "(which Deno 2.9 does not always report); terminated",
      { worker: this.label, s: HALT_MS / 1000, mib },
    );
    this.kill(outOfMemory(mib));
  }
}
