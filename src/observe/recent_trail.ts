/**
 * What happened lately, for the status page: the last worker restarts,
 * failures, returns and stops, and the last reloads, each list bounded.
 * It is fed by the worker states' hook and by the host after each reload.
 *
 * @module
 */

import type { WorkerState } from "../spawn/worker_states.ts";
import type { SlotLike } from "./stats.ts";

/** Worker events kept; older ones are dropped. */
export const TRAIL_EVENTS = 50;
/** Reloads kept; older ones are dropped. */
export const TRAIL_RELOADS = 10;
/** The longest message kept with an event or reload, in characters. */
export const TRAIL_TEXT_MAX = 200;

/** One worker event: a restart, a failure, a return or a stop. */
export interface WorkerEvent {
  /** When, in ms since the epoch. */
  readonly at: number;
  /** `restart`, `failure`, `return`, `stop` or `stuck` (stopped while stuck in synchronous code). */
  readonly kind: "restart" | "failure" | "return" | "stop" | "stuck";
  /** `exec` or `rpc`. */
  readonly role: string;
  /** The task's name (`rpc` for the pool); for `stuck`, the worker's label. */
  readonly task: string;
  /** The worker's index; -1 for `stuck` (its label names it). */
  readonly index: number;
  /** The error recorded with it, cut to {@link TRAIL_TEXT_MAX} characters. */
  readonly message?: string;
}

/** One reload, done or refused. */
export interface ReloadEvent {
  /** When it ended, in ms since the epoch. */
  readonly at: number;
  /** True when it was applied. */
  readonly ok: boolean;
  /** The script's version after it. */
  readonly version: number;
  /** How long it took, in ms. */
  readonly ms: number;
  /** Why it was refused, cut to {@link TRAIL_TEXT_MAX} characters. */
  readonly error?: string;
}

/** Cuts `text` to {@link TRAIL_TEXT_MAX} characters. */
export function cut(text: string): string {
  return text.length <= TRAIL_TEXT_MAX ? text : text.slice(0, TRAIL_TEXT_MAX - 1) + "…";
}

/** The recent worker events and reloads of one host, newest last. */
export class RecentTrail {
  #events: WorkerEvent[] = [];
  #reloads: ReloadEvent[] = [];
  #changes = 0;
  #now: () => number;

  /** A trail reading the time from `now` (tests pass a clock). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The last worker events, oldest first. */
  get events(): readonly WorkerEvent[] {
    return this.#events;
  }

  /** The last reloads, oldest first. */
  get reloads(): readonly ReloadEvent[] {
    return this.#reloads;
  }

  /** How many entries were ever added: it changes whenever the trail does. */
  get changes(): number {
    return this.#changes;
  }

  /** The worker states' hook: notes restarts, failures, returns and stops. */
  readonly workerState = (
    slot: SlotLike & { readonly restarts?: number },
    state: WorkerState,
    error: string | undefined,
    previous: WorkerState,
  ): void => {
    let kind: WorkerEvent["kind"];
    if (state === "failed" && error !== undefined) kind = "failure";
    else if (state === "returned") kind = "return";
    else if (state === "stopped" && previous !== "stopped") kind = "stop";
    else if (state === "starting" && (previous === "backoff" || previous === "failed")) {
      kind = "restart";
    } else return;
    const event: WorkerEvent = {
      at: this.#now(),
      kind,
      role: slot.role,
      task: slot.task,
      index: slot.index,
      ...(error === undefined ? {} : { message: cut(error) }),
    };
    push(this.#events, event, TRAIL_EVENTS);
    this.#changes++;
  };

  /** Notes a worker stopped while stuck in synchronous code. */
  stuck(worker: { readonly label: string; readonly role: string }): void {
    const event: WorkerEvent = {
      at: this.#now(),
      kind: "stuck",
      role: worker.role,
      task: cut(worker.label),
      index: -1,
    };
    push(this.#events, event, TRAIL_EVENTS);
    this.#changes++;
  }

  /** Notes a reload that was applied (`error` undefined) or refused. */
  reloaded(version: number, ms: number, error?: string): void {
    const entry: ReloadEvent = {
      at: this.#now(),
      ok: error === undefined,
      version,
      ms: Math.round(ms),
      ...(error === undefined ? {} : { error: cut(error) }),
    };
    push(this.#reloads, entry, TRAIL_RELOADS);
    this.#changes++;
  }
}

function push<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}
