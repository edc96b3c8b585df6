/**
 * What RPC methods see of the running host.
 *
 * @module
 */

import type { RpcPool } from "../pool/pool.ts";
import type { TaskSupervisor } from "../tasks/supervisor.ts";
import type { WorkerRegistry } from "../spawn/registry.ts";
import type { WorkerStates } from "../spawn/worker_states.ts";
import type { HostStats } from "../observe/stats.ts";

/** What `evrexec.reload` answers. */
export interface ReloadReport {
  /** The script's version: 1 at start, one more per reload. */
  readonly version: number;
  /** The script's URL. */
  readonly script: string;
  /** The config file read again, if the host has one. */
  readonly config?: string;
  /** The exported functions of the new version. */
  readonly functions: string[];
  /** What happened to the RPC pool. */
  readonly rpc_pool: "replaced";
  /** Tasks new in the config file, started. */
  readonly added_tasks: string[];
  /** Tasks no longer in the config file, stopped gracefully. */
  readonly removed_tasks: string[];
  /** Tasks whose keys changed in the config file, stopped and started with the new keys. */
  readonly changed_tasks: string[];
  /** Unchanged tasks whose workers were restarted on the new code (restart policy not `no`). */
  readonly restarted_tasks: string[];
  /** Unchanged tasks left running on the old code (restart=no, or stopped). */
  readonly kept_tasks: string[];
  /** Options changed in the config file that a reload does not apply: they need a restart. */
  readonly needs_restart: string[];
}

/** The parts of the host that RPC methods read or drive. */
export interface HostAccess {
  /** When the host started, in ms since the epoch. */
  readonly startedAt: number;
  /** Every worker's state. */
  readonly states: WorkerStates;
  /** This host's live workers, and those stopped while stuck in synchronous code. */
  readonly workers: WorkerRegistry;
  /** The warm RPC pool in service now. */
  readonly pool: RpcPool;
  /** The counters that `stats.*` and /metrics read. */
  readonly stats: HostStats;
  /** One supervisor per exec task, in the order the tasks were given. */
  readonly supervisors: readonly TaskSupervisor[];
  /** The script's version: 1 at start, one more per reload. */
  readonly version: number;
  /** RPC stream connections open now. */
  readonly connections: number;
  /** True once the host has begun to stop. */
  readonly stopping: boolean;
  /** How long a stop waits for a function to end, in milliseconds. */
  readonly config: { readonly shutdownTimeoutMs: number };
  /** The supervisor of a task, by name. */
  supervisor(name: string): TaskSupervisor | undefined;
  /** Re-imports the script; see `Host.reload`. */
  reload(): Promise<ReloadReport>;
}
