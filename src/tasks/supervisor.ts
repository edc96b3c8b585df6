/**
 * One exec task's supervisor: starts the task's dedicated workers, follows
 * their states in the worker table, applies the task's restart policy when a
 * function ends, and stops, starts or restarts the workers on request.
 *
 * @module
 */

import { settlesWithin } from "../shared/deadline.ts";
import type { ExecTask } from "./spec.ts";
import { log, logFromWorker } from "../host/log.ts";
import { errorStack } from "../shared/error_text.ts";
import type { ErrorInfo, WorkerToHost } from "../shared/messages.ts";
import { AllRunning } from "./all_running.ts";
import { endingText, logBound, logCrashLoop, logEnding } from "./task_log.ts";
import { type Ending, RestartTracker } from "./restart_policy.ts";
import { UdpBinding } from "./udp_binding.ts";
import { TaskSchedule } from "./task_schedule.ts";
import type { SpawnContext } from "../host/spawn_context.ts";
import { WorkerHandle } from "../host/worker_handle.ts";
import type { WorkerSlot } from "../host/worker_table.ts";

/**
 * A task's state: `active` while it has workers or restarts them, `stopped`
 * after `evrexec.stop`, `failed` after a crash loop made it give up.
 */
export type TaskState = "active" | "stopped" | "failed";

/** A worker of the task that is alive now. */
interface Live {
  readonly handle: WorkerHandle;
  /** Resolves when the function ends (or the worker dies). */
  readonly ended: PromiseWithResolvers<void>;
}

/** Supervises the workers of one exec task. */
export class TaskSupervisor {
  /** The task, as parsed from its spec. */
  readonly task: ExecTask;
  /** One slot per worker, index order. */
  readonly slots: readonly WorkerSlot[];
  /** A timer task's ticks (`every=`, `cron=`); null for other tasks. */
  readonly schedule: TaskSchedule | null;
  #context: SpawnContext;
  #tracker: RestartTracker;
  #live = new Map<WorkerSlot, Live>();
  #timers = new Map<WorkerSlot, ReturnType<typeof setTimeout>>();
  #stopping = new Set<WorkerSlot>();
  #binding: UdpBinding;
  #allRunning: AllRunning;

  /** Registers the task's worker slots; `start` starts them. */
  constructor(task: ExecTask, context: SpawnContext) {
    this.task = task;
    this.#context = context;
    this.#tracker = new RestartTracker(task);
    this.slots = Array.from(
      { length: task.workers },
      (_, index) => context.table.add("exec", task.name, index),
    );
    this.#binding = new UdpBinding(task);
    this.#allRunning = new AllRunning(task);
    this.schedule = task.schedule && new TaskSchedule(task.schedule, task.overlap, this.slots);
  }

  /** The task's state. */
  get state(): TaskState {
    if (this.#tracker.gaveUp) return "failed";
    return this.slots.every((slot) => slot.state === "stopped") ? "stopped" : "active";
  }

  /**
   * Resolves once a UDP task's socket is bound (at once for other tasks);
   * rejects with the bind error.
   */
  bound(): Promise<void> {
    return this.#binding.bound;
  }

  /** Resolves the first time every worker of the task has entered its function. */
  allRunning(): Promise<void> {
    return this.#allRunning.first;
  }

  /**
   * Starts every worker whose function is not running (after a stop, a
   * return, a failure, or in backoff) and forgets earlier restarts. The
   * first call starts the task; later ones count as restarts.
   */
  start(): void {
    const first = this.#allRunning.neverStarted;
    this.#tracker.reset();
    this.#allRunning.begin();
    for (const slot of this.slots) {
      if (!(this.#isBusy(slot) && this.#live.has(slot))) this.#respawn(slot, !first);
    }
  }

  /**
   * Stops the task's workers (or only worker `index`): tells each running
   * function through `KSR.shutdown`, waits up to `graceMs` for it to end,
   * then terminates the worker. No restart follows.
   */
  async stop(graceMs: number, index?: number): Promise<void> {
    const slots = index === undefined ? this.slots : [this.slots[index]];
    await Promise.all(slots.map((slot) => this.#stopSlot(slot, graceMs)));
  }

  /** Stops the workers (or worker `index`) as `stop` does, then starts them again. */
  async restart(graceMs: number, index?: number): Promise<void> {
    await this.stop(graceMs, index);
    this.#tracker.reset();
    for (const slot of index === undefined ? this.slots : [this.slots[index]]) {
      this.#respawn(slot, true);
    }
  }

  /** Replaces a slot's worker (if any) by a new one; `counted` adds a restart. */
  #respawn(slot: WorkerSlot, counted: boolean): void {
    this.#cancelTimer(slot);
    this.#live.get(slot)?.handle.terminate();
    this.#live.delete(slot);
    if (counted) slot.restarts++;
    this.#spawn(slot);
  }

  /** Tells every worker that the host is stopping (`KSR.shutdown`), without waiting. */
  signalStop(): void {
    this.schedule?.halt();
    for (const [slot, live] of this.#live) {
      this.#stopping.add(slot);
      live.handle.post({ type: "stop" });
    }
    for (const slot of [...this.#timers.keys()]) this.#cancelTimer(slot);
  }

  /** Resolves once no function of the task is running any more. */
  async settled(): Promise<void> {
    await Promise.all(
      [...this.#live.entries()]
        .filter(([slot]) => this.#isBusy(slot))
        .map(([, live]) => live.ended.promise),
    );
  }

  /** Terminates every worker at once. */
  terminate(): void {
    for (const slot of this.slots) {
      this.#cancelTimer(slot);
      this.#live.get(slot)?.handle.terminate();
      this.#live.delete(slot);
      this.#context.table.set(slot, "stopped");
    }
  }

  #isBusy(slot: WorkerSlot): boolean {
    return slot.state === "running" || slot.state === "waiting" || slot.state === "starting";
  }

  async #stopSlot(slot: WorkerSlot, graceMs: number): Promise<void> {
    this.#cancelTimer(slot);
    const live = this.#live.get(slot);
    if (live !== undefined) {
      this.#stopping.add(slot);
      let ended = slot.state !== "running";
      if (!ended) {
        live.handle.post({ type: "stop" });
        ended = await settlesWithin(live.ended.promise, graceMs);
      }
      if (ended) live.handle.terminate();
      else await live.handle.stop(); // notes the worker if it is stuck in synchronous code
      this.#live.delete(slot);
      this.#stopping.delete(slot);
    }
    this.#context.table.set(slot, "stopped");
  }

  #cancelTimer(slot: WorkerSlot): void {
    clearTimeout(this.#timers.get(slot));
    this.#timers.delete(slot);
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
      sockaddr: this.task.sockaddr ?? undefined,
      scheduled: this.schedule !== null,
    }, {
      message: (message) => this.#onMessage(slot, handle, message),
      crash: (error) => this.#ended(slot, handle, "crashed", error),
    }, this.#context.workers);
    this.#live.set(slot, { handle, ended: Promise.withResolvers() });
  }

  #onMessage(slot: WorkerSlot, handle: WorkerHandle, message: WorkerToHost): void {
    const table = this.#context.table;
    this.schedule?.heard(slot, handle, message);
    switch (message.type) {
      case "loaded":
        table.set(slot, "waiting");
        break;
      case "bound":
        this.#binding.succeeded();
        logBound(this.task, message.port);
        break;
      case "bind-failed":
        if (this.#binding.failed(message.error.message)) {
          // Start-up: the host reports it as one line and exits.
          table.set(slot, "failed", message.error.message);
          this.#live.get(slot)?.ended.resolve();
          break;
        }
        this.#ended(slot, handle, "threw", message.error);
        break;
      case "entered":
        table.set(slot, "running");
        log(this.task.name, String(slot.index)).debug("function entered");
        this.#allRunning.note(this.slots);
        break;
      case "ended":
        this.#ended(slot, handle, message.outcome, message.error);
        break;
      case "load-failed":
        this.#ended(slot, handle, "threw", message.error);
        break;
      case "datagram-failed":
        logEnding(
          slot,
          "error",
          `function failed on a datagram: ${errorStack(message.error)}`,
          message.error,
        );
        break;
      case "log":
        logFromWorker(slot.task, slot.index, message.level, message.message);
        break;
    }
  }

  #ended(slot: WorkerSlot, handle: WorkerHandle, ending: Ending, error?: ErrorInfo): void {
    const live = this.#live.get(slot);
    if (live === undefined || live.handle !== handle) return; // an old worker, replaced already
    live.ended.resolve();
    const message = error?.message ?? "unknown error";
    if (ending === "crashed") this.#live.delete(slot);
    if (this.#stopping.has(slot)) {
      this.#context.table.set(
        slot,
        ending === "returned" ? "returned" : "failed",
        error && message,
      );
      return logEnding(slot, "debug", `function ended after stop (${ending})`);
    }
    const decision = this.#tracker.decide(slot.index, ending, Date.now() - slot.startedAt);
    const failed = ending !== "returned";
    this.#context.table.set(slot, failed ? "failed" : "returned", failed ? message : undefined);
    const what = endingText(ending, error, message);
    switch (decision.kind) {
      case "stay":
        return logEnding(
          slot,
          failed ? "error" : "warning",
          `${what}${failed ? "" : "; the worker stays idle"}`,
          error,
        );
      case "restart":
        logEnding(
          slot,
          failed ? "error" : "warning",
          `${what}; restarting in ${decision.delayMs} ms (restart=${this.task.restart})`,
          error,
        );
        this.#context.table.set(slot, "backoff");
        live.handle.terminate();
        this.#live.delete(slot);
        this.#timers.set(
          slot,
          setTimeout(() => {
            this.#timers.delete(slot);
            slot.restarts++;
            this.#spawn(slot);
          }, decision.delayMs),
        );
        return;
      case "give-up":
        logEnding(slot, "error", what, error);
        for (const other of [...this.#timers.keys()]) {
          this.#cancelTimer(other);
          this.#context.table.set(other, "failed");
        }
        logCrashLoop(this.task, decision.restarts);
    }
  }
}
