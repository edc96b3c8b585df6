/**
 * One exec task's supervisor: one {@link WorkerLifecycle} per worker slot, fed by
 * the workers' messages; it applies the task's restart policy when a
 * function ends, and stops, starts or restarts the workers on request.
 *
 * @module
 */

import type { ExecTask } from "../config/exec_spec.ts";
import { log, logFromWorker } from "../base/log.ts";
import { errorStack } from "../shared/error_text.ts";
import type { ErrorInfo, InitMessage, WorkerToHost } from "../shared/messages.ts";
import { RunningMilestone } from "./running_milestone.ts";
import { endingText, logBound, logCrashLoop, logEnding } from "./task_log.ts";
import { type Ending, type RestartDecision, RestartTracker } from "./restart_policy.ts";
import {
  type DropReason,
  type LifecycleClock,
  type LifecyclePorts,
  WorkerLifecycle,
} from "./worker_lifecycle.ts";
import { UdpBinding } from "./udp_binding.ts";
import { TaskSchedule } from "./task_schedule.ts";
import type { SpawnContext } from "../spawn/spawn_context.ts";
import type { WorkerHandle } from "../spawn/handle.ts";
import type { WorkerSlot } from "../spawn/worker_states.ts";
import { resolveSandbox, type Sandbox } from "../config/sandbox.ts";

/**
 * A task's state: `active` while it has workers or restarts them, `stopped`
 * after `evrexec.stop`, `failed` after a crash loop made it give up.
 */
export type TaskState = "active" | "stopped" | "failed";

/** The real clock: `performance.now()` and `setTimeout`. */
export const SYSTEM_CLOCK: LifecycleClock = {
  now: () => performance.now(),
  after(ms, fire) {
    const timer = setTimeout(fire, ms);
    return () => clearTimeout(timer);
  },
};

/** Supervises the workers of one exec task. */
export class TaskSupervisor {
  /** The task, as parsed from its spec. */
  readonly task: ExecTask;
  /** One slot per worker, index order. */
  readonly slots: readonly WorkerSlot[];
  /** A timer task's ticks (`every=`, `cron=`); null for other tasks. */
  readonly schedule: TaskSchedule | null;
  /** How the task's workers are isolated. */
  readonly sandbox: Sandbox;
  #context: SpawnContext;
  #clock: LifecycleClock;
  #tracker: RestartTracker;
  #machines: WorkerLifecycle<WorkerHandle>[];
  #binding: UdpBinding;
  #allRunning: RunningMilestone;
  #bindFailedAtStart = false;

  /** Registers the task's worker slots; `start` starts them. */
  constructor(task: ExecTask, context: SpawnContext, clock: LifecycleClock = SYSTEM_CLOCK) {
    this.task = task;
    this.#context = context;
    this.#clock = clock;
    this.#tracker = new RestartTracker(task);
    this.sandbox = resolveSandbox(task.sandbox, context.workerHeapMiB);
    this.slots = Array.from(
      { length: task.workers },
      (_, index) => context.states.add("exec", task.name, index),
    );
    // A singleton task's workers stand by, stopped, until its lease is held here.
    if (task.fleet !== undefined) {
      for (const slot of this.slots) context.states.set(slot, "stopped");
    }
    this.#machines = this.slots.map((slot) => new WorkerLifecycle(this.#ports(slot)));
    this.#binding = new UdpBinding(task);
    this.#allRunning = new RunningMilestone(task);
    this.schedule = task.schedule &&
      new TaskSchedule(
        task.schedule,
        task.overlap,
        this.slots,
        undefined,
        task.fleet !== undefined,
      );
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
    this.#tracker.reset();
    this.#allRunning.begin();
    for (const machine of this.#machines) machine.start();
  }

  /**
   * Stops the task's workers (or only worker `index`) by the stop rule (see
   * {@link WorkerLifecycle.stop}): a running function whose code reads
   * `KSR.shutdown` gets up to `graceMs` to end. No restart follows.
   */
  async stop(graceMs: number, index?: number): Promise<void> {
    await Promise.all(this.#chosen(index).map((machine) => machine.stop(graceMs)));
  }

  /** Stops the workers (or worker `index`) as `stop` does, then starts them again. */
  async restart(graceMs: number, index?: number): Promise<void> {
    this.#tracker.reset();
    await Promise.all(this.#chosen(index).map((machine) => machine.restart(graceMs)));
  }

  /** The live worker of slot `index`, if any (to ask it for its heap). */
  workerOf(index: number): WorkerHandle | null {
    return this.#machines[index]?.worker ?? null;
  }

  /** Terminates every worker at once. */
  terminate(): void {
    for (const machine of this.#machines) machine.terminate();
  }

  #chosen(index?: number): WorkerLifecycle<WorkerHandle>[] {
    return index === undefined ? this.#machines : [this.#machines[index]];
  }

  #ports(slot: WorkerSlot): LifecyclePorts<WorkerHandle> {
    const states = this.#context.states;
    let requests = 0;
    return {
      clock: this.#clock,
      create: (done) => {
        if (requests++ > 0) slot.restarts++;
        let handle: WorkerHandle | null = null;
        return this.#context.pacer.create(this.#init(slot), {
          message: (message) => handle && this.#onMessage(slot, handle, message),
          crash: (error) => handle && this.#machines[slot.index].ended(handle, "crashed", error),
        }, (creation) => {
          if ("error" in creation) return done(creation);
          handle = creation.handle;
          done({ worker: handle });
        }, { sandbox: this.sandbox, slot });
      },
      signal: (worker) => worker.post({ type: "stop" }),
      terminate: (worker, why) => this.#terminate(slot, worker, why),
      show: (state, error) => states.set(slot, state, error),
      decide: (ending, upMs, error) => this.#decide(slot, ending, upMs, error),
    };
  }

  #init(slot: WorkerSlot): InitMessage {
    const { scriptUrl, logLevel, otel } = this.#context;
    return {
      type: "init",
      role: "exec",
      ...(otel ? { otel } : {}),
      scriptUrl,
      task: this.task.name,
      index: slot.index,
      logLevel,
      fn: this.task.function,
      waitUs: this.task.waitUs,
      sockaddr: this.task.sockaddr ?? undefined,
      scheduled: this.schedule !== null,
    };
  }

  #terminate(slot: WorkerSlot, worker: WorkerHandle, why: DropReason): void {
    if (why === "stuck") {
      // No answer to the stop within 100 ms: busy in synchronous code, or only
      // slow on a loaded machine. The handle tells which: a thread that has not
      // ended a few seconds after its termination is counted stuck.
      worker.terminate();
      return logEnding(
        slot,
        "warning",
        "did not answer the stop within 100 ms; terminated at once" +
          (worker.inProcess ? " (a thread that has not ended 3 s later is counted stuck)" : ""),
      );
    }
    this.#context.pacer.terminate(worker);
    if (why === "late") {
      logEnding(slot, "warning", "did not end within its grace after the stop; terminated");
    }
  }

  #onMessage(slot: WorkerSlot, handle: WorkerHandle, message: WorkerToHost): void {
    const machine = this.#machines[slot.index];
    this.schedule?.heard(slot, handle, message);
    switch (message.type) {
      case "loaded":
        return machine.loaded(handle);
      case "bound":
        this.#binding.succeeded();
        return logBound(this.task, message.port);
      case "bind-failed":
        // The first bind, at start-up: the host reports it as one line and exits.
        if (this.#binding.failed(message.error.message)) this.#bindFailedAtStart = true;
        return machine.ended(handle, "threw", message.error);
      case "entered":
        machine.entered(handle);
        log(this.task.name, String(slot.index)).debug("function entered");
        return this.#allRunning.note(this.slots);
      case "ended":
        if (machine.phase === "stopping") {
          logEnding(slot, "debug", `function ended after stop (${message.outcome})`);
        }
        return machine.ended(handle, message.outcome, message.error);
      case "load-failed":
        return machine.ended(handle, "threw", message.error);
      case "stop-ack":
        if (!message.watched) {
          logEnding(slot, "debug", "its code never reads KSR.shutdown: terminated at once");
        }
        return machine.acknowledged(handle, message.watched);
      case "datagram-failed":
        return logEnding(
          slot,
          "error",
          `function failed on a datagram: ${errorStack(message.error)}`,
          message.error,
        );
      case "log":
        return logFromWorker(slot.task, slot.index, message.level, message.message);
    }
  }

  #decide(slot: WorkerSlot, ending: Ending, upMs: number, error?: ErrorInfo): RestartDecision {
    if (this.#bindFailedAtStart) return { kind: "stay" };
    const decision = this.#tracker.decide(slot.index, ending, upMs, this.#clock.now());
    const failed = ending !== "returned";
    const what = endingText(ending, error, error?.message ?? "unknown error");
    const level = failed ? "error" : "warning";
    switch (decision.kind) {
      case "stay":
        logEnding(slot, level, `${what}${failed ? "" : "; the worker stays idle"}`, error);
        break;
      case "restart":
        logEnding(
          slot,
          level,
          `${what}; restarting in ${decision.delayMs} ms (restart=${this.task.restart})`,
          error,
        );
        break;
      case "give-up":
        logEnding(slot, "error", what, error);
        for (const machine of this.#machines) machine.giveUp();
        logCrashLoop(this.task, decision.restarts);
    }
    return decision;
  }
}
