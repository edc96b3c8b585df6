/**
 * What the status page shows, as one JSON-able snapshot of the host: its
 * version and uptime, each task with its workers and schedule, the RPC pool
 * with each function's figures over the last minute, connections, stuck
 * workers, recent restarts and failures, and reloads. It names no path, no
 * environment variable and nothing passed to a call: tasks by name, workers
 * by index, errors by their (cut) message.
 *
 * @module
 */

import { NAME, VERSION } from "../base/version.ts";
import type { WorkerSlot } from "../spawn/worker_states.ts";
import type { ScheduleInfo } from "../tasks/task_schedule.ts";
import { healthOf } from "./health.ts";
import type { MinuteWindow, WindowFigures } from "./minute_window.ts";
import type { ObservedHost } from "./observed_host.ts";
import { cut, type ReloadEvent, type WorkerEvent } from "./recent_trail.ts";

/** One worker on the page. */
export interface WorkerStatus {
  /** Its index in its task or pool. */
  readonly index: number;
  /** Its state. */
  readonly state: string;
  /** When it entered that state, ms since the epoch. */
  readonly since: number;
  /** When its current worker started, ms since the epoch. */
  readonly started: number;
  /** How many times its worker was restarted. */
  readonly restarts: number;
  /** Its last error (cut) and when, or null. */
  readonly last_error: { readonly message: string; readonly at: number } | null;
  /** Its heap in use in bytes, as last asked; null when unknown. */
  readonly heap_used: number | null;
}

/** A schedule on the page (a subset of the task's schedule info). */
export type ScheduleStatus = Pick<
  ScheduleInfo,
  | "schedule"
  | "overlap"
  | "next_run"
  | "last_run"
  | "last_duration_ms"
  | "runs"
  | "errors"
  | "skipped"
>;

/** One exec task on the page. */
export interface TaskStatus {
  /** Its name. */
  readonly name: string;
  /** `active`, `stopped` or `failed`. */
  readonly state: string;
  /** Its restart policy. */
  readonly restart: string;
  /** `thread` or `process`. */
  readonly isolation: string;
  /** Each worker's heap cap in MiB; 0: none. */
  readonly heap_cap_mib: number;
  /** Its schedule, or null for a loop task. */
  readonly schedule: ScheduleStatus | null;
  /** Its workers. */
  readonly workers: readonly WorkerStatus[];
}

/** One function called over RPC, on the page. */
export interface FunctionStatus extends WindowFigures {
  /** The exported function's name. */
  readonly name: string;
  /** Calls since the start (or the last reset of the counters). */
  readonly calls_total: number;
  /** Errors since the start. */
  readonly errors_total: number;
  /** Timeouts since the start. */
  readonly timeouts_total: number;
}

/** The whole page's data. */
export interface StatusSnapshot {
  /** The host itself. */
  readonly host: {
    readonly name: string;
    readonly version: string;
    readonly script_version: number;
    readonly started_at: number;
    readonly now: number;
    readonly healthy: boolean;
    readonly health: string;
    readonly counting: boolean;
  };
  /** The exec tasks, in the order given. */
  readonly tasks: readonly TaskStatus[];
  /** The RPC pool. */
  readonly pool: {
    readonly queued: number;
    readonly running: number;
    readonly heap_cap_mib: number;
    readonly closed: boolean;
    readonly stuck_workers: readonly string[];
    readonly refused_functions: readonly string[];
    readonly held_functions: readonly string[];
    readonly workers: readonly WorkerStatus[];
    readonly functions: readonly FunctionStatus[];
    readonly unknown_function_calls: number;
  };
  /** Open connections. */
  readonly connections: { readonly rpc_stream: number; readonly status_streams: number };
  /** Workers stopped while stuck in synchronous code, by label. */
  readonly stuck: readonly string[];
  /** Recent worker events, oldest first. */
  readonly events: readonly WorkerEvent[];
  /** Recent reloads, oldest first. */
  readonly reloads: readonly ReloadEvent[];
  /** The fleet (nodes and who holds what) once a cluster is wired: null until then. */
  readonly fleet: unknown;
}

/** What the snapshot reads besides the host. */
export interface StatusExtras {
  /** The last-minute figures. */
  readonly window: MinuteWindow;
  /** Heap in use per slot id, as last asked. */
  readonly heaps: ReadonlyMap<number, number | null>;
  /** Event streams open now. */
  readonly streams: number;
}

function workerStatus(slot: WorkerSlot, heaps: ReadonlyMap<number, number | null>): WorkerStatus {
  return {
    index: slot.index,
    state: slot.state,
    since: slot.since,
    started: slot.startedAt,
    restarts: slot.restarts,
    last_error: slot.lastError && { message: cut(slot.lastError.message), at: slot.lastError.at },
    heap_used: heaps.get(slot.id) ?? null,
  };
}

function scheduleStatus(info: ScheduleInfo): ScheduleStatus {
  const { schedule, overlap, next_run, last_run, last_duration_ms, runs, errors, skipped } = info;
  return { schedule, overlap, next_run, last_run, last_duration_ms, runs, errors, skipped };
}

/** The snapshot of `host` now. */
export function statusSnapshot(host: ObservedHost, extras: StatusExtras): StatusSnapshot {
  const health = healthOf(host, host.workers.stuck, host.pool.stuck.state);
  const stuck = host.pool.stuck.state;
  return {
    host: {
      name: NAME,
      version: VERSION,
      script_version: host.version,
      started_at: host.startedAt,
      now: Date.now(),
      healthy: health.ok,
      health: health.reason,
      counting: host.stats.counting,
    },
    tasks: host.supervisors.map((s) => ({
      name: s.task.name,
      state: s.state,
      restart: s.task.restart,
      isolation: s.sandbox.isolation,
      heap_cap_mib: s.sandbox.heapMiB,
      schedule: s.schedule ? scheduleStatus(s.schedule.info()) : null,
      workers: s.slots.map((slot) => workerStatus(slot, extras.heaps)),
    })),
    pool: {
      queued: host.pool.queued,
      running: host.pool.running,
      heap_cap_mib: host.pool.sandbox.heapMiB,
      closed: stuck.closed,
      stuck_workers: stuck.stuck,
      refused_functions: stuck.refused,
      held_functions: stuck.held,
      workers: host.pool.workers().map(({ slot }) => workerStatus(slot, extras.heaps)),
      functions: [...host.stats.functions].map(([name, counts]) => ({
        name,
        calls_total: counts.calls,
        errors_total: counts.errors,
        timeouts_total: counts.timeouts,
        ...extras.window.figures(name),
      })),
      unknown_function_calls: host.stats.unknownFunctions,
    },
    connections: { rpc_stream: host.connections, status_streams: extras.streams },
    stuck: host.workers.stuck.map((worker) => worker.label),
    events: host.trail.events,
    reloads: host.trail.reloads,
    fleet: host.fleet === null ? null : {
      database_up: host.fleet.databaseUp,
      singletons: host.fleet.singletons.map(({ task, holding }) => ({ task, held_here: holding })),
      queue: host.fleet.depth(),
      jobs_running_here: host.fleet.jobs.running,
    },
  };
}
