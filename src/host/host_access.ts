/**
 * What RPC methods see of the running host: what the statistics read
 * ({@link ObservedHost}), and the task supervisors, the grace of a stop and
 * the reload they drive.
 *
 * @module
 */

import type { ObservedHost } from "../observe/observed_host.ts";
import type { TaskSupervisor } from "../tasks/supervisor.ts";
import type { ReloadReport } from "./reload_plan.ts";
import type { Fleet } from "./fleet.ts";

/** The parts of the host that RPC methods read or drive. */
export interface HostAccess extends ObservedHost {
  /** How long a stop waits for a function to end, in milliseconds. */
  readonly config: { readonly shutdownTimeoutMs: number };
  /** The supervisor of a task, by name. */
  supervisor(name: string): TaskSupervisor | undefined;
  /** This host in its fleet (`--cluster`), or null when it is alone. */
  readonly fleet: Fleet | null;
  /** Re-imports the script; see `Host.reload`. */
  reload(): Promise<ReloadReport>;
}
