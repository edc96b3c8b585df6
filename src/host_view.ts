/**
 * What RPC methods see of the running host.
 *
 * @module
 */

import type { RpcPool } from "./rpc_pool.ts";
import type { TaskSupervisor } from "./task_supervisor.ts";
import type { WorkerTable } from "./worker_table.ts";

/** The parts of the host that RPC methods read or drive. */
export interface HostView {
  /** When the host started, in ms since the epoch. */
  readonly startedAt: number;
  /** Every worker's state. */
  readonly table: WorkerTable;
  /** The warm RPC pool. */
  readonly pool: RpcPool;
  /** One supervisor per exec task, in the order the tasks were given. */
  readonly supervisors: readonly TaskSupervisor[];
}
