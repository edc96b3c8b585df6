/**
 * What a task's supervisor writes to the log: a worker's ending under
 * `evrexec.<task>.<index>`, naming the task and worker, with the error; a
 * task that gave up after a crash loop; start-up milestones.
 *
 * @module
 */

import { log, logVerbatim } from "../base/log.ts";
import type { WorkerSlot } from "../spawn/worker_states.ts";
import { errorStack } from "../shared/error_text.ts";
import type { ErrorInfo } from "../shared/messages.ts";
import type { Ending } from "./restart_policy.ts";
import type { ExecTask } from "../config/exec_spec.ts";
import { counted } from "../base/plural.ts";
import { quoteValue } from "../shared/quote.ts";

/** What ended, in words: `function returned`, `worker crashed: …`, `function failed: …`. */
export function endingText(ending: Ending, error: ErrorInfo | undefined, message: string): string {
  if (ending === "returned") return "function returned";
  const what = ending === "crashed" ? "worker crashed" : "function failed";
  return `${what}: ${error ? errorStack(error) : message}`;
}

/** Logs `what` about worker `slot` of its task. */
export function logEnding(
  slot: WorkerSlot,
  level: "debug" | "warning" | "error",
  what: string,
  error?: ErrorInfo,
): void {
  logVerbatim(
    log(slot.task, String(slot.index)),
    level,
    `task ${quoteValue(slot.task)} worker ${slot.index}: ${what}`,
    { task: slot.task, index: slot.index, ...(error ? { error: error.message } : {}) },
  );
}

/** Logs that `task` gave up after `restarts` restarts within its window. */
export function logCrashLoop(task: ExecTask, restarts: number): void {
  logVerbatim(
    log(task.name),
    "error",
    `task ${quoteValue(task.name)}: crash loop: ${counted(restarts, "restart")} within ` +
      `${task.restartWindowMs} ms; the task is marked failed and not restarted any more`,
    { task: task.name },
  );
}

/** Logs that a UDP task's socket is bound at `port`. */
export function logBound(task: ExecTask, port: number): void {
  log(task.name).info("task {task}: listening on {address} (port {port})", {
    task: task.name,
    address: task.sockaddr?.text,
    port,
  });
}

/** Logs that every worker of `task` has entered its function, `ms` after the start. */
export function logAllRunning(task: ExecTask, ms: number): void {
  log(task.name).info("task {task}: {running} running after {ms} ms", {
    task: task.name,
    running: task.workers === 1 ? "1 worker" : `all ${task.workers} workers`,
    workers: task.workers,
    ms: Math.round(ms),
  });
}
