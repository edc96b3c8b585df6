/**
 * One exec task's supervisor: starts the task's dedicated workers, follows
 * their states in the worker table and logs how each one ends.
 *
 * @module
 */

import type { ExecTask } from "./exec_spec.ts";
import { describeError, emit, log, logFromWorker } from "./log.ts";
import type { ErrorInfo, WorkerLogLevel, WorkerToHost } from "./protocol.ts";
import { WorkerHandle } from "./worker_handle.ts";
import type { WorkerSlot, WorkerTable } from "./worker_table.ts";

/** What every supervisor shares with the host. */
export interface SupervisorContext {
  /** URL of the KEMI script. */
  readonly scriptUrl: string;
  /** Lowest level workers send. */
  readonly logLevel: WorkerLogLevel;
  /** Where worker states are kept. */
  readonly table: WorkerTable;
}

/** How a worker's function ended. */
type Ending = "returned" | "threw" | "crashed";

/** Supervises the workers of one exec task. */
export class TaskSupervisor {
  /** The task, as parsed from its spec. */
  readonly task: ExecTask;
  /** One slot per worker, index order. */
  readonly slots: readonly WorkerSlot[];
  #context: SupervisorContext;
  #handles = new Map<WorkerSlot, WorkerHandle>();
  #startedAt = 0;
  #allRunningLogged = false;

  /** Registers the task's worker slots; `start` starts them. */
  constructor(task: ExecTask, context: SupervisorContext) {
    this.task = task;
    this.#context = context;
    this.slots = Array.from(
      { length: task.workers },
      (_, index) => context.table.add("exec", task.name, index),
    );
  }

  /** Starts every worker of the task. */
  start(): void {
    this.#startedAt = performance.now();
    for (const slot of this.slots) this.#spawn(slot);
  }

  /** Tells every worker that the host is stopping (`KSR.shutdown`). */
  signalStop(): void {
    for (const handle of this.#handles.values()) handle.post({ type: "stop" });
  }

  /** Terminates every worker at once. */
  terminate(): void {
    for (const [slot, handle] of this.#handles) {
      handle.terminate();
      this.#context.table.set(slot, "stopped");
    }
    this.#handles.clear();
  }

  #spawn(slot: WorkerSlot): void {
    const { table, scriptUrl, logLevel } = this.#context;
    table.set(slot, "starting");
    const handle = new WorkerHandle({
      type: "init",
      role: "exec",
      scriptUrl,
      task: this.task.name,
      index: slot.index,
      logLevel,
      fn: this.task.name,
      waitUs: this.task.waitUs,
    }, {
      message: (message) => this.#onMessage(slot, message),
      crash: (error) => this.#ended(slot, "crashed", error),
    });
    this.#handles.set(slot, handle);
  }

  #onMessage(slot: WorkerSlot, message: WorkerToHost): void {
    const table = this.#context.table;
    switch (message.type) {
      case "loaded":
        table.set(slot, "waiting");
        break;
      case "entered":
        table.set(slot, "running");
        log(this.task.name, String(slot.index)).debug("function entered");
        this.#noteAllRunning();
        break;
      case "ended":
        this.#ended(slot, message.outcome, message.error);
        break;
      case "load-failed":
        this.#ended(slot, "threw", message.error);
        break;
      case "log":
        logFromWorker(slot.task, slot.index, message.level, message.message);
        break;
    }
  }

  /** Logs once when every worker of the task has entered its function. */
  #noteAllRunning(): void {
    if (this.#allRunningLogged || this.slots.some((slot) => slot.state !== "running")) return;
    this.#allRunningLogged = true;
    log(this.task.name).info("task {task}: all {workers} workers running after {ms} ms", {
      task: this.task.name,
      workers: this.slots.length,
      ms: Math.round(performance.now() - this.#startedAt),
    });
  }

  #ended(slot: WorkerSlot, ending: Ending, error?: ErrorInfo): void {
    const logger = log(this.task.name, String(slot.index));
    const who = `task ${JSON.stringify(this.task.name)} worker ${slot.index}`;
    if (ending === "returned") {
      this.#context.table.set(slot, "returned");
      emit(logger, "warning", `${who}: function returned; the worker stays idle`, {
        task: slot.task,
        index: slot.index,
      });
      return;
    }
    const message = error?.message ?? "unknown error";
    this.#context.table.set(slot, "failed", message);
    if (ending === "crashed") this.#handles.delete(slot);
    const what = ending === "crashed" ? "worker crashed" : "function failed";
    emit(logger, "error", `${who}: ${what}: ${error ? describeError(error) : message}`, {
      task: slot.task,
      index: slot.index,
      error: message,
    });
  }
}
