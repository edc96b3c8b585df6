/**
 * What every owner of workers (a task supervisor, the RPC pool) needs to
 * start one: the script, the lowest log level, and the table of states.
 *
 * @module
 */

import type { WorkerLogLevel } from "../shared/messages.ts";
import type { WorkerTable } from "./worker_table.ts";

/** Shared by every owner of workers. */
export interface SpawnContext {
  /** URL of the KEMI script. */
  readonly scriptUrl: string;
  /** Lowest level workers send. */
  readonly logLevel: WorkerLogLevel;
  /** Where worker states are kept. */
  readonly table: WorkerTable;
}
