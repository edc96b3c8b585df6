/**
 * How worker slots look in RPC answers.
 *
 * @module
 */

import type { WorkerSlot } from "../worker_table.ts";

/** A worker slot as `core.psx` and `evrexec.list` show it. */
export interface WorkerInfo {
  readonly task: string;
  readonly index: number;
  readonly state: string;
  readonly since: string;
  readonly started: string;
  readonly restarts: number;
  readonly last_error: { message: string; at: string } | null;
}

/** Kamailio-style description of a slot, e.g. `EVREXEC child=0 exec=timer`. */
export function describeSlot(slot: WorkerSlot): string {
  return slot.role === "exec"
    ? `EVREXEC child=${slot.index} exec=${slot.task}`
    : `RPC worker child=${slot.index}`;
}

/** The RPC view of one worker slot. */
export function workerInfo(slot: WorkerSlot): WorkerInfo {
  return {
    task: slot.task,
    index: slot.index,
    state: slot.state,
    since: new Date(slot.since).toISOString(),
    started: new Date(slot.startedAt).toISOString(),
    restarts: slot.restarts,
    last_error: slot.lastError &&
      { message: slot.lastError.message, at: new Date(slot.lastError.at).toISOString() },
  };
}
