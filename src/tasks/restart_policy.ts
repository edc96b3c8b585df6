/**
 * A task's restart policy at work: whether a worker whose function ended is
 * started again, after which backoff, and when a crash loop makes the task
 * give up. Pure bookkeeping: the supervisor acts on its decisions.
 *
 * @module
 */

import { Backoff } from "../base/backoff.ts";
import type { ExecTask } from "../config/exec_spec.ts";

/** How a worker's function ended. */
export type Ending = "returned" | "threw" | "crashed";

/** What to do about a worker whose function ended. */
export type RestartDecision =
  | { readonly kind: "stay" }
  | { readonly kind: "restart"; readonly delayMs: number }
  | { readonly kind: "give-up"; readonly restarts: number };

/** Tracks one task's restarts. */
export class RestartTracker {
  #task: ExecTask;
  #recent: number[] = [];
  #backoff: Backoff;
  #gaveUp = false;

  /** Tracks restarts of `task` under its policy, backoff and limits. */
  constructor(task: ExecTask) {
    this.#task = task;
    this.#backoff = new Backoff(task.backoffMs, task.backoffMaxMs);
  }

  /** True once a crash loop has made the task give up. */
  get gaveUp(): boolean {
    return this.#gaveUp;
  }

  /**
   * Decides about worker `index`, whose function ended after `upMs` of life.
   * A restart is counted as soon as it is decided.
   */
  decide(index: number, ending: Ending, upMs: number, now = Date.now()): RestartDecision {
    const { restart, restartWindowMs, maxRestarts } = this.#task;
    if (this.#gaveUp || restart === "no" || (restart === "on-failure" && ending === "returned")) {
      return { kind: "stay" };
    }
    this.#recent = this.#recent.filter((at) => now - at < restartWindowMs);
    if (this.#recent.length >= maxRestarts) {
      this.#gaveUp = true;
      return { kind: "give-up", restarts: this.#recent.length };
    }
    if (upMs >= restartWindowMs) this.#backoff.reset(index); // it stayed up: a new streak
    this.#recent.push(now);
    return { kind: "restart", delayMs: this.#backoff.failed(index).delayMs };
  }

  /** Forgets every restart: an operator started or restarted the task. */
  reset(): void {
    this.#recent = [];
    this.#backoff.clear();
    this.#gaveUp = false;
  }
}
