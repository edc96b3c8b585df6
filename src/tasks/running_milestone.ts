/**
 * Notes when every worker of a task has entered its function after a start:
 * logged once per start, and awaited once by the host (the rest of the RPC
 * pool starts then).
 *
 * @module
 */

import type { WorkerSlot } from "../spawn/worker_states.ts";
import type { ExecTask } from "../config/exec_spec.ts";
import { logAllRunning } from "./task_log.ts";

/** The "all workers running" milestone of one task. */
export class RunningMilestone {
  #task: ExecTask;
  #startedAt = 0;
  #logged = false;
  #first = Promise.withResolvers<void>();

  /** Follows `task`. */
  constructor(task: ExecTask) {
    this.#task = task;
  }

  /** True before the task's first start. */
  get neverStarted(): boolean {
    return this.#startedAt === 0;
  }

  /** Resolves the first time every worker has entered its function. */
  get first(): Promise<void> {
    return this.#first.promise;
  }

  /** The task (re)starts now. */
  begin(): void {
    this.#startedAt = performance.now();
    this.#logged = false;
  }

  /** A worker entered its function: logs once when all of `slots` run. */
  note(slots: readonly WorkerSlot[]): void {
    if (this.#logged || slots.some((slot) => slot.state !== "running")) return;
    this.#logged = true;
    this.#first.resolve();
    logAllRunning(this.#task, performance.now() - this.#startedAt);
  }
}
