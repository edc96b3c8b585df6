/**
 * What the statistics, the Prometheus families and the health verdict read
 * of a running host (the host implements it; nothing here reaches up to it).
 *
 * @module
 */

import type { RpcPool } from "../pool/pool.ts";
import type { WorkerRegistry } from "../spawn/registry.ts";
import type { WorkerStates } from "../spawn/worker_states.ts";
import type { TaskSupervisor } from "../tasks/supervisor.ts";
import type { RecentTrail } from "./recent_trail.ts";
import type { HostStats } from "./stats.ts";
import type { ObservedFleet } from "./observed_fleet.ts";

/** The parts of a running host that `stats.*`, `/metrics` and `/healthz` read. */
export interface ObservedHost {
  /** Every worker's state. */
  readonly states: WorkerStates;
  /** This host's live workers, and those stopped while stuck in synchronous code. */
  readonly workers: WorkerRegistry;
  /** The warm RPC pool in service now. */
  readonly pool: RpcPool;
  /** The counters. */
  readonly stats: HostStats;
  /** One supervisor per exec task, in the order the tasks were given. */
  readonly supervisors: readonly TaskSupervisor[];
  /** The script's version: 1 at start, one more per reload. */
  readonly version: number;
  /** RPC stream connections open now. */
  readonly connections: number;
  /** True once the host has begun to stop. */
  readonly stopping: boolean;
  /** The host's fleet (`--cluster`), or null when it is alone. */
  readonly fleet: ObservedFleet | null;
  /** When the host started, in ms since the epoch. */
  readonly startedAt: number;
  /** Recent worker restarts, failures and reloads (the status page). */
  readonly trail: RecentTrail;
}
