/**
 * The one place where the state of every worker is kept: exec workers and
 * RPC pool workers alike. Supervisors change it; RPC introspection reads it.
 *
 * @module
 */

import type { WorkerRole } from "../shared/messages.ts";

/**
 * A worker's state. Exec workers go `starting` → `waiting` → `running` →
 * `returned` | `failed`; pool workers go `starting` → `idle` ⇄ `running`.
 * `backoff` waits for a restart; `stopped` was stopped on purpose.
 */
export type WorkerState =
  | "starting"
  | "waiting"
  | "running"
  | "idle"
  | "returned"
  | "failed"
  | "backoff"
  | "stopped";

/** The last error a worker slot saw. */
export interface LastError {
  /** What went wrong, in one line. */
  readonly message: string;
  /** When, in milliseconds since the epoch. */
  readonly at: number;
}

/** One worker slot: it keeps its index across restarts of its worker. */
export interface WorkerSlot {
  /** Process-wide number of the slot, in creation order. */
  readonly id: number;
  /** Exec task worker or RPC pool worker. */
  readonly role: WorkerRole;
  /** The task name (exec) or `rpc`. */
  readonly task: string;
  /** Index within the task or pool, passed to exec functions as a string. */
  readonly index: number;
  /** Current state. */
  state: WorkerState;
  /** When the current worker was started, in ms since the epoch. */
  startedAt: number;
  /** When the state last changed, in ms since the epoch. */
  since: number;
  /** How many times this slot's worker was restarted. */
  restarts: number;
  /** The last error, if any. */
  lastError: LastError | null;
  /** The process the worker runs in, when not the host's own (a child-process worker). */
  pid?: number;
}

/** Told of every state change: `error` is the error recorded with it, if any. */
export type StateObserver = (
  slot: WorkerSlot,
  state: WorkerState,
  error: string | undefined,
  previous: WorkerState,
) => void;

/** The table of all worker slots. */
export class WorkerStates {
  #slots: WorkerSlot[] = [];
  #nextId = 0;

  /** A table whose state changes are told to `observer` (the statistics' hook). */
  constructor(private readonly observer?: StateObserver) {}

  /** Adds a slot in state `starting`. */
  add(role: WorkerRole, task: string, index: number): WorkerSlot {
    const now = Date.now();
    const slot: WorkerSlot = {
      id: this.#nextId++,
      role,
      task,
      index,
      state: "starting",
      startedAt: now,
      since: now,
      restarts: 0,
      lastError: null,
    };
    this.#slots.push(slot);
    return slot;
  }

  /** Moves a slot to `state`, recording `error` as its last error. */
  set(slot: WorkerSlot, state: WorkerState, error?: string): void {
    const now = Date.now();
    const previous = slot.state;
    if (state === "starting") slot.startedAt = now;
    slot.state = state;
    slot.since = now;
    if (error !== undefined) slot.lastError = { message: error, at: now };
    this.observer?.(slot, state, error, previous);
  }

  /** Drops a slot (a retired pool's worker). */
  remove(slot: WorkerSlot): void {
    this.#slots = this.#slots.filter((other) => other !== slot);
  }

  /** Every slot, in creation order. */
  all(): readonly WorkerSlot[] {
    return this.#slots;
  }
}
