/**
 * What the parts of a worker share: the way to the host, the `$evr` values
 * of the current call, the stop signal, and the script's functions.
 *
 * @module
 */

import type { EvrValues } from "../../kemi/types.ts";
import type { TickMessage, WorkerToHost } from "../shared/messages.ts";

/** An exported function of the script, of any signature. */
// deno-lint-ignore ban-types -- exported functions of any signature
export type ScriptFunction = Function;

/** One worker's shared state. */
export interface WorkerContext {
  /** Sends a message to the host. */
  readonly send: (message: WorkerToHost) => void;
  /** The `$evr(...)` values, set for each call. */
  readonly evr: EvrValues;
  /** Aborted when the host tells the worker to stop (`KSR.shutdown`). */
  readonly stopping: AbortSignal;
  /** The script's exported functions, by name, once it is loaded. */
  readonly functions: Map<string, ScriptFunction>;
  /** Timer task: runs a tick (set by `ticks.ts` once the task's wait is over). */
  tick?: (tick: TickMessage) => void;
}

/** Waits `ms` milliseconds, or less if the worker is told to stop meanwhile. */
export function sleepUnlessStopped(ms: number, stopping: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (stopping.aborted || ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    stopping.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
