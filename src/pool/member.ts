/**
 * One warm worker of the RPC pool: its slot in the worker states, its worker
 * and shared channel, and the call it runs. It hands a call to the worker
 * (through the channel, or by message when the call does not fit) and turns
 * the worker's answers into the call's outcome.
 *
 * @module
 */

import type { SpawnContext } from "../spawn/spawn_context.ts";
import { logFromWorker } from "../base/log.ts";
import type { WorkerHandle } from "../spawn/handle.ts";
import { startWorker } from "../spawn/start_worker.ts";
import type { Sandbox } from "../config/sandbox.ts";
import type { WorkerSlot } from "../spawn/worker_states.ts";
import type { SharedAnswer } from "../shared/channel_layout.ts";
import type { ErrorInfo, WorkerToHost } from "../shared/messages.ts";
import { HostChannel } from "./channel.ts";
import type { Job } from "./job.ts";
import { runError } from "./pool_error.ts";

/** The task name pool workers carry in the worker states and in logs. */
export const POOL_TASK = "rpc";

/** What the pool hears from a member. */
export interface MemberEvents {
  /** The worker loaded the script: it takes calls from now on. */
  loaded(member: PoolMember, functions: readonly string[]): void;
  /** The member's call has been answered: it is free again. */
  freed(member: PoolMember): void;
  /** The worker is gone or useless (`error` when it crashed or did not load). */
  lost(member: PoolMember, why: string, error?: ErrorInfo): void;
}

/** One warm worker of the pool. */
export class PoolMember {
  /** The member's slot in the worker states. */
  readonly slot: WorkerSlot;
  /** The worker, while there is one. */
  handle: WorkerHandle | null = null;
  /** True once the worker has loaded the script. */
  ready = false;
  /** The call the worker runs now. */
  job: Job | null = null;
  #channel: HostChannel | null = null;
  #context: SpawnContext;
  #events: MemberEvents;
  #counterStart: number;
  #sandbox: Sandbox;

  /**
   * Registers the member's slot; `spawn` starts its worker, in `sandbox`. Its
   * channels' counts start at `counterStart`.
   */
  constructor(
    index: number,
    context: SpawnContext,
    events: MemberEvents,
    counterStart: number,
    sandbox: Sandbox,
  ) {
    this.slot = context.states.add("rpc", POOL_TASK, index);
    this.#context = context;
    this.#events = events;
    this.#counterStart = counterStart;
    this.#sandbox = sandbox;
  }

  /** True when the member can take a call now. */
  get free(): boolean {
    return this.ready && this.job === null && this.handle !== null;
  }

  /**
   * Starts a new worker for the member. Blocks for a thread's start-up.
   * Only the member's current worker is heard: a replaced one that is still
   * being stopped may log, but its crash or answers change nothing. A
   * process worker has no shared channel: its calls go by message.
   */
  spawn(): void {
    const { states, scriptUrl, logLevel, workers, children, otel } = this.#context;
    states.set(this.slot, "starting");
    this.release();
    const channel = this.#sandbox.isolation === "thread"
      ? new HostChannel({ counterStart: this.#counterStart })
      : null;
    this.#channel = channel;
    const handle: WorkerHandle = startWorker(
      {
        type: "init",
        role: "rpc",
        ...(otel ? { otel } : {}),
        scriptUrl,
        task: POOL_TASK,
        index: this.slot.index,
        logLevel,
        shared: channel?.buffer,
      },
      {
        message: (message) => {
          if (this.handle === handle || message.type === "log") this.#onMessage(message);
        },
        crash: (error) => {
          if (this.handle === handle) {
            this.#events.lost(this, `worker crashed: ${error.message}`, error);
          }
        },
      },
      workers,
      { sandbox: this.#sandbox, slot: this.slot },
      children,
    );
    this.handle = handle;
  }

  /**
   * Lets go of the worker: ends the wait on its channel, then terminates it,
   * or with `stop`, pings it first to tell whether it is stuck in synchronous
   * code. Resolves true when it was stuck.
   */
  release(stop = false): Promise<boolean> {
    const handle = this.handle;
    this.handle = null;
    this.ready = false;
    this.#channel?.close();
    this.#channel = null;
    if (handle === null) return Promise.resolve(false);
    if (stop) return handle.stop();
    handle.terminate();
    return Promise.resolve(false);
  }

  /** Aborts `KSR.shutdown` in the worker: the host stops, or the pool is retired. */
  signalStop(): void {
    this.handle?.post({ type: "stop" });
  }

  /** Hands `job` to the worker. */
  give(job: Job): void {
    this.job = job;
    this.#context.states.set(this.slot, "running");
    job.startedAt = performance.now();
    const trace = job.trace;
    trace?.given(this.slot.index);
    const answer = this.#channel?.call(job.id, job.fn, job.data, trace?.traceparent);
    if (answer) {
      answer.then(
        (shared) => this.#onShared(job, shared),
        (error: Error) => this.job === job && this.#events.lost(this, error.message),
      );
    } else {
      const run = { type: "run", id: job.id, fn: job.fn, data: job.data } as const;
      this.handle?.post(trace ? { ...run, traceparent: trace.traceparent } : run);
    }
  }

  /** Takes the member's call away from it (to fail it); null if it has none. */
  takeJob(): Job | null {
    const job = this.job;
    this.job = null;
    return job;
  }

  #onMessage(message: WorkerToHost): void {
    switch (message.type) {
      case "result":
        return this.#finish(message.id, (job) => job.resolve(message.json));
      case "run-failed":
        return this.#finish(
          message.id,
          (job) => job.reject(runError(job.fn, message.reason, message.error)),
        );
      case "loaded":
        this.ready = true;
        this.#context.states.set(this.slot, "idle");
        return this.#events.loaded(this, message.functions);
      case "load-failed":
        return this.#events.lost(
          this,
          `cannot load the script: ${message.error.message}`,
          message.error,
        );
      case "log":
        return logFromWorker(this.slot.task, this.slot.index, message.level, message.message);
    }
  }

  /** An answer that came through the shared channel. */
  #onShared(job: Job, answer: SharedAnswer): void {
    const { kind, text } = answer;
    if (kind === "by-message") return; // the answer comes as a message
    if (kind === "result") return this.#finish(job.id, (j) => j.resolve(text));
    const error = JSON.parse(text) as ErrorInfo;
    this.#finish(job.id, (j) => j.reject(runError(j.fn, kind, error)));
  }

  #finish(id: number, settle: (job: Job) => void): void {
    const job = this.job;
    if (job === null || job.id !== id) return;
    this.job = null;
    this.#context.states.set(this.slot, "idle");
    settle(job);
    this.#events.freed(this);
  }
}
