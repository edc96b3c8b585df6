/**
 * How worker slots look in RPC answers.
 *
 * @module
 */

import type { TaskSupervisor } from "../../tasks/supervisor.ts";
import type { ScheduleInfo } from "../../tasks/task_schedule.ts";
import type { RpcPool } from "../../pool/pool.ts";
import type { WorkerSlot } from "../../spawn/worker_states.ts";
import { permissionsText, type Sandbox } from "../../config/sandbox.ts";
import { kindOf, type WorkerKind } from "../../spawn/start_worker.ts";

/** How a task's or the pool's workers are isolated, as RPC answers show it. */
export interface SandboxInfo {
  /** `thread` or `process`. */
  readonly isolation: string;
  /** The kind of worker: `web-worker`, `node-worker` or `process`. */
  readonly worker_kind: WorkerKind;
  /** The heap cap in MiB; 0: none. */
  readonly heap_mib: number;
  /** `host` (the host's own), or the `allow-*` keys given. */
  readonly permissions: string;
}

/** A sandbox as RPC answers show it. */
export function sandboxInfo(sandbox: Sandbox): SandboxInfo {
  return {
    isolation: sandbox.isolation,
    worker_kind: kindOf(sandbox),
    heap_mib: sandbox.heapMiB,
    permissions: sandbox.permissions === null ? "host" : permissionsText(sandbox.permissions),
  };
}

/** A worker slot as `core.psx` and `evrexec.list` show it. */
export interface WorkerInfo {
  /** The task's name (`rpc` for the pool). */
  readonly task: string;
  /** The worker's index in its task or pool. */
  readonly index: number;
  /** Its state. */
  readonly state: string;
  /** When it entered that state (ISO 8601). */
  readonly since: string;
  /** When its current worker started (ISO 8601). */
  readonly started: string;
  /** How many times its worker was restarted. */
  readonly restarts: number;
  /** How long its current worker has run, for people (`3m12s`). */
  readonly uptime: string;
  /** Its last error: message, when, how long ago; null if none. */
  readonly last_error: { message: string; at: string; ago: string } | null;
  /** The child process's PID, for a process worker that runs. */
  readonly pid?: number;
}

/** Kamailio-style description of a slot, e.g. `EVREXEC child=0 exec=timer`. */
export function describeSlot(slot: WorkerSlot): string {
  return slot.role === "exec"
    ? `EVREXEC child=${slot.index} exec=${slot.task}`
    : `RPC worker child=${slot.index}`;
}

/** One worker slot as RPC answers show it. */
export function workerInfo(slot: WorkerSlot): WorkerInfo {
  return {
    task: slot.task,
    index: slot.index,
    state: slot.state,
    since: new Date(slot.since).toISOString(),
    started: new Date(slot.startedAt).toISOString(),
    restarts: slot.restarts,
    uptime: ago(Date.now() - slot.startedAt),
    last_error: slot.lastError && {
      message: slot.lastError.message,
      at: new Date(slot.lastError.at).toISOString(),
      ago: ago(Date.now() - slot.lastError.at),
    },
    ...(slot.pid === undefined ? {} : { pid: slot.pid }),
  };
}

/** How long ago `at` was, for people: `5s`, `3m12s`, `2h5m`, `4d3h`. */
export function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/** A task as `evrexec.list` and the control methods show it. */
export interface TaskInfo extends SandboxInfo, Partial<ScheduleInfo> {
  /** The task's name. */
  readonly name: string;
  /** The exported function its workers call (`function=`, else the name). */
  readonly function: string;
  /** `active`, `stopped` or `failed`. */
  readonly state: string;
  /** How many workers are in each state, e.g. `2 running, 1 backoff`. */
  readonly workers_summary: string;
  /** The spec as given. */
  readonly spec: string;
  /** Its restart policy. */
  readonly restart: string;
  /** Its `wait=`, in microseconds. */
  readonly wait_us: number;
  /** A UDP task's address. */
  readonly sockaddr?: string;
  /** A `singleton=cluster` task: the node that holds its lease (null: none known). */
  readonly holder?: string | null;
  /** Each worker. */
  readonly workers: readonly WorkerInfo[];
}

/** What a task's row reads of the host's fleet (`--cluster`). */
export interface TaskFleetView {
  /** This node's name. */
  readonly node: { readonly name: string };
  /** The singleton of task `name`, if it is one. */
  singleton(name: string): { status(): { state: string; otherHolder: string | null } } | undefined;
}

/** The RPC pool as the last row of `evrexec.list` while it has stuck workers. */
export interface PoolStuckInfo extends SandboxInfo {
  /** Always `rpc`. */
  readonly name: string;
  /** Always `rpc-pool`. */
  readonly role: string;
  /** `closed` (it refuses every call) or `stuck`. */
  readonly state: string;
  /** The labels of its stuck workers. */
  readonly stuck_workers: readonly string[];
  /** Functions refused because a run of each got its worker stuck. */
  readonly refused_functions: readonly string[];
  /** Functions held back until the verdict on a timed-out worker. */
  readonly held_functions: readonly string[];
  /** Each pool worker. */
  readonly workers: readonly WorkerInfo[];
}

/** A task as `evrexec.list` and the control methods show it. */
export function taskInfo(supervisor: TaskSupervisor, fleet?: TaskFleetView | null): TaskInfo {
  const task = supervisor.task;
  const status = fleet?.singleton(task.name)?.status();
  const holder = status === undefined
    ? {}
    : { holder: status.state === "holder" ? fleet!.node.name : status.otherHolder };
  const counts = new Map<string, number>();
  for (const slot of supervisor.slots) counts.set(slot.state, (counts.get(slot.state) ?? 0) + 1);
  return {
    name: task.name,
    function: task.function,
    state: supervisor.state,
    workers_summary: [...counts].map(([state, n]) => `${n} ${state}`).join(", "),
    spec: task.spec,
    restart: task.restart,
    wait_us: task.waitUs,
    ...(task.sockaddr ? { sockaddr: task.sockaddr.text } : {}),
    ...supervisor.schedule?.info(),
    ...sandboxInfo(supervisor.sandbox),
    ...holder,
    workers: supervisor.slots.map(workerInfo),
  };
}

/**
 * The RPC pool as a last row of `evrexec.list`, only while it has workers
 * stuck in synchronous code or holds back functions because of them: state
 * `closed` (it refuses every call, `--max-stuck` reached), else `stuck`.
 */
export function poolStuckInfo(pool: RpcPool): PoolStuckInfo | null {
  const state = pool.stuck.state;
  const quiet = state.stuck.length === 0 && state.refused.length === 0 &&
    state.held.length === 0 && !state.closed;
  if (quiet) return null;
  return {
    name: "rpc",
    role: "rpc-pool",
    state: state.closed ? "closed" : "stuck",
    stuck_workers: state.stuck,
    refused_functions: state.refused,
    held_functions: state.held,
    ...sandboxInfo(pool.sandbox),
    workers: pool.workers().map(({ slot }) => workerInfo(slot)),
  };
}
