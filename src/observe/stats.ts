/**
 * The host's statistics registry: counters fed by one-line hooks (the RPC
 * transports, `evrexec.run`, the worker states), read by the `stats.*`
 * methods and by the Prometheus exporter. Counting is a field increment.
 *
 * @module
 */

import type { WorkerState } from "../spawn/worker_states.ts";
import type { WorkerRole } from "../shared/messages.ts";
import { DurationHistogram } from "./histogram.ts";
import { type Transport, TransportCounts } from "../rpc/transport_counts.ts";

/**
 * How a call ended, as the statistics count it: with a value (`ok`),
 * refused busy, timed out, or with any other error.
 */
export type CallOutcome = "ok" | "busy" | "timeout" | "error";

/** Counters of `evrexec.run` for one exported function. */
export class FunctionCounts {
  /** Calls that named this function. */
  calls = 0;
  /** Calls answered with an error other than a timeout or busy. */
  errors = 0;
  /** Calls that timed out (`--rpc-timeout`). */
  timeouts = 0;
  /** Calls refused "busy" (a full queue, a stopping host, a departed client). */
  busy = 0;
  /** Durations of the calls that ran (busy refusals left out), queueing included. */
  readonly durations: DurationHistogram = new DurationHistogram();

  /** Counts a call; returns its start time, for {@link ended}. */
  begin(): number {
    this.calls++;
    return performance.now();
  }

  /** Counts how a call begun at `started` ended; a busy one is not timed. */
  ended(started: number, outcome: CallOutcome = "ok"): void {
    if (outcome === "busy") {
      this.busy++;
      return;
    }
    this.durations.observe((performance.now() - started) / 1000);
    if (outcome === "timeout") this.timeouts++;
    else if (outcome === "error") this.errors++;
  }
}

/** Counters of one worker slot: a task's worker `index`, or a pool worker's. */
export interface WorkerCounts {
  /** Exec task worker or RPC pool worker. */
  readonly role: WorkerRole;
  /** The task's name (`rpc` for the pool). */
  readonly task: string;
  /** The worker's index in its task or pool. */
  readonly index: number;
  /** Workers started in the slot. */
  starts: number;
  /** Starts that replaced an earlier worker of the slot. */
  restarts: number;
  /** Functions that threw, workers that crashed or did not load. */
  failures: number;
  /** Task functions that returned. */
  returns: number;
}

/** The slot fields the worker-table hook reads. */
export interface SlotLike {
  /** Exec task worker or RPC pool worker. */
  readonly role: WorkerRole;
  /** The task's name (`rpc` for the pool). */
  readonly task: string;
  /** The worker's index in its task or pool. */
  readonly index: number;
}

/** Every counter of one host. */
export class HostStats {
  /** Counters per transport, in the order the transports started. */
  readonly transports: Map<Transport, TransportCounts> = new Map();
  /** Counters per exported function that was called. */
  readonly functions: Map<string, FunctionCounts> = new Map();
  /** Counters per worker slot, by role, task and index. */
  readonly workers: Map<string, WorkerCounts> = new Map();
  /** Stat values at the last `stats.reset_statistics`, by `group:name`. */
  readonly baseline: Map<string, number> = new Map();
  /** `evrexec.run` calls naming no exported function (not per name: clients choose names). */
  unknownFunctions = 0;
  /** False with `--stats off`: no hook counts, and every counter stays 0. */
  readonly counting: boolean;
  #seen = new WeakSet<SlotLike>();

  /** A registry; `counting` false leaves its hooks unattached (`--stats off`). */
  constructor(counting = true) {
    this.counting = counting;
  }

  /** The counters of `transport`, created on first use. */
  transport(transport: Transport): TransportCounts {
    let counts = this.transports.get(transport);
    if (counts === undefined) this.transports.set(transport, counts = new TransportCounts());
    return counts;
  }

  /** The counters of `transport` for its server to count in; undefined with `--stats off`. */
  counts(transport: Transport): TransportCounts | undefined {
    return this.counting ? this.transport(transport) : undefined;
  }

  /** The counters of function `fn`, created on first use. */
  function(fn: string): FunctionCounts {
    let counts = this.functions.get(fn);
    if (counts === undefined) this.functions.set(fn, counts = new FunctionCounts());
    return counts;
  }

  /** The worker states' hook: counts starts, restarts, failures and returns. */
  readonly workerState = (
    slot: SlotLike,
    state: WorkerState,
    error: string | undefined,
    previous: WorkerState,
  ): void => {
    if (state !== "starting" && state !== "failed" && state !== "returned") return;
    // A worker asked for, then made, is "starting" twice and starts once.
    if (state === "starting" && previous === "starting" && this.#seen.has(slot)) return;
    const key = `${slot.role}\0${slot.task}\0${slot.index}`;
    let counts = this.workers.get(key);
    if (counts === undefined) {
      counts = { ...pick(slot), starts: 0, restarts: 0, failures: 0, returns: 0 };
      this.workers.set(key, counts);
    }
    if (state === "starting") {
      counts.starts++;
      if (this.#seen.has(slot)) counts.restarts++;
      else this.#seen.add(slot);
    } else if (state === "returned") counts.returns++;
    else if (error !== undefined) counts.failures++; // "failed" without an error repeats one counted already
  };
}

function pick(slot: SlotLike): SlotLike {
  return { role: slot.role, task: slot.task, index: slot.index };
}
