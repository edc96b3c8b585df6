/**
 * What every owner of workers (a task supervisor, the RPC pool) needs to
 * start one: the script, the lowest log level, the table of states, and the
 * host's registry of workers, and the pacer that creates workers one
 * event-loop turn apart.
 *
 * @module
 */

import type { WorkerLogLevel } from "../shared/messages.ts";
import type { WorkerRegistry } from "./registry.ts";
import type { WorkerPacer } from "./pacer.ts";
import type { WorkerStates } from "./worker_states.ts";
import type { ChildNeeds } from "./child_needs.ts";

/** Shared by every owner of workers. */
export interface SpawnContext {
  /** URL of the KEMI script. */
  readonly scriptUrl: string;
  /** Lowest level workers send. */
  readonly logLevel: WorkerLogLevel;
  /** Where worker states are kept. */
  readonly states: WorkerStates;
  /** This host's live and stuck workers (each host has its own). */
  readonly workers: WorkerRegistry;
  /** Creates workers one at a time, shared by every owner. */
  readonly pacer: WorkerPacer;
  /** Heap cap of a worker without `heap=`, in MiB (`--worker-heap`; default 256). */
  readonly workerHeapMiB?: number;
  /** What process workers need from the host (`isolation=process`). */
  readonly children?: ChildNeeds;
}
