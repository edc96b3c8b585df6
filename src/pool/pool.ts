/**
 * The warm RPC pool: workers with the script already loaded, one run at a
 * time each, a bounded queue in front, a timeout that replaces a stuck
 * worker. Its first worker also reports the script's exported functions.
 *
 * @module
 */

import { settlesWithin } from "../shared/deadline.ts";
import { describeError, emit, log, logFromWorker } from "../host/log.ts";
import type { ErrorInfo, WorkerToHost } from "../shared/messages.ts";
import { RpcCode, RpcError } from "../rpc/errors.ts";
import { type SharedAnswer, SharedChannel } from "../shared/channel.ts";
import type { SupervisorContext } from "../tasks/supervisor.ts";
import { WorkerHandle } from "../host/worker_handle.ts";
import type { WorkerSlot } from "../host/worker_table.ts";

/** The task name pool workers carry in the worker table and in logs. */
export const POOL_TASK = "rpc";
/** Delay before a pool worker that failed to start is started again. */
const RESPAWN_DELAY_MS = 1000;

/** Settings of the pool. */
export interface PoolOptions {
  /** How many warm workers. */
  readonly size: number;
  /** How many calls may wait for a worker before calls are refused. */
  readonly queueLimit: number;
  /** How long a run may take, in milliseconds. */
  readonly timeoutMs: number;
}

/** A call waiting for or running on a pool worker. */
export interface Job {
  readonly id: number;
  readonly fn: string;
  readonly data: string;
  resolve(json: string): void;
  reject(error: RpcError): void;
  /** When the call was handed to a worker (performance.now()). */
  startedAt?: number;
  /** Aborted when the client that asked has gone: a queued call is then dropped. */
  readonly signal?: AbortSignal;
}

interface Member {
  readonly slot: WorkerSlot;
  handle: WorkerHandle | null;
  channel: SharedChannel | null;
  ready: boolean;
  job: Job | null;
}

/** `exported functions: a, b` (or `none`), for messages about a name the script lacks. */
export function exportedFunctions(functions: readonly string[]): string {
  return `exported functions: ${functions.join(", ") || "none"}`;
}

/** The error a failed run answers with. */
function runError(fn: string, reason: "threw" | "not-json", error: ErrorInfo): RpcError {
  if (reason === "not-json") {
    return new RpcError(
      RpcCode.INTERNAL_ERROR,
      `the result of ${fn} cannot be sent as JSON: ${error.message}`,
    );
  }
  return new RpcError(RpcCode.FUNCTION_FAILED, error.message, {
    name: error.name,
    stack: error.stack ?? null,
  });
}

/** The pool of warm workers that runs `evrexec.run` calls. */
export class RpcPool {
  #options: PoolOptions;
  #context: SupervisorContext;
  #members: Member[];
  #queue: Job[] = [];
  #queueHead = 0;
  #nextId = 1;
  #functions: readonly string[] = [];
  #functionSet: ReadonlySet<string> = new Set();
  #everLoaded = false;
  #loaded: PromiseWithResolvers<readonly string[]> = Promise.withResolvers();
  #accepting = true;
  #idle: (() => void) | null = null;
  #sweeper: ReturnType<typeof setInterval>;

  /** Registers the pool's worker slots; `load` starts the first worker. */
  constructor(options: PoolOptions, context: SupervisorContext) {
    this.#options = options;
    this.#context = context;
    const every = Math.min(1000, Math.max(10, options.timeoutMs / 10));
    this.#sweeper = setInterval(() => this.#sweep(), every);
    Deno.unrefTimer(this.#sweeper);
    this.#members = Array.from({ length: options.size }, (_, index) => ({
      slot: context.table.add("rpc", POOL_TASK, index),
      handle: null,
      channel: null,
      ready: false,
      job: null,
    }));
  }

  /** The script's exported functions, known once `load` has resolved. */
  get functions(): readonly string[] {
    return this.#functions;
  }

  /** True when the script exports a function called `name`. */
  exports(name: string): boolean {
    return this.#functionSet.has(name);
  }

  /** Calls waiting for a worker. */
  get queued(): number {
    return this.#queue.length - this.#queueHead;
  }

  /**
   * Starts the first worker and resolves with the script's exported
   * functions, or rejects with the error that stopped the script loading.
   */
  load(): Promise<readonly string[]> {
    this.#spawn(this.#members[0]);
    return this.#loaded.promise;
  }

  /** Starts the other workers. */
  startRest(): void {
    for (const member of this.#members.slice(1)) this.#spawn(member);
  }

  /**
   * Runs `fn(data)` on a warm worker; resolves with the result as JSON text.
   * Rejects with an {@link RpcError}: the function threw, timed out, or the
   * queue is full. A call still queued when `signal` aborts (its client has
   * gone) is dropped; a running one finishes.
   */
  run(fn: string, data: string, signal?: AbortSignal): Promise<string> {
    if (!this.#accepting) {
      return Promise.reject(new RpcError(RpcCode.BUSY, "busy: the host is stopping"));
    }
    if (this.queued >= this.#options.queueLimit) {
      return Promise.reject(
        new RpcError(RpcCode.BUSY, `busy: ${this.queued} calls are waiting (--rpc-queue)`),
      );
    }
    const { promise, resolve, reject } = Promise.withResolvers<string>();
    this.#queue.push({ id: this.#nextId++, fn, data, resolve, reject, signal });
    this.#dispatch();
    return promise;
  }

  /** Takes the calls still waiting out of the queue (to hand them to a new pool). */
  takeQueue(): Job[] {
    const jobs = this.#queue.splice(this.#queueHead);
    this.#queue = [];
    this.#queueHead = 0;
    return jobs;
  }

  /** Queues calls taken from another pool, in their order. */
  adopt(jobs: readonly Job[]): void {
    this.#queue.push(...jobs);
    this.#dispatch();
  }

  /** Calls running now. */
  get running(): number {
    return this.#members.filter((member) => member.job !== null).length;
  }

  /**
   * Retires the pool after a reload: it takes no new call, lets running ones
   * finish, then stops its workers and drops their slots from the table.
   * Queued calls must have been taken (`takeQueue`) first.
   */
  async retire(): Promise<void> {
    this.#accepting = false;
    await this.#drained();
    this.discard();
  }

  /**
   * Stops for a shutdown: refuses new calls, answers queued ones "busy" at
   * once, lets running ones finish for up to `graceMs`, then stops every
   * worker; calls still running then are answered with an error.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.#accepting = false;
    this.#refuseQueued();
    await settlesWithin(this.#drained(), graceMs);
    this.terminate();
  }

  /** Stops the pool at once and drops its slots from the table (a failed reload). */
  discard(): void {
    this.terminate();
    for (const member of this.#members) this.#context.table.remove(member.slot);
  }

  /** Stops every worker at once; calls running or queued are answered with an error. */
  terminate(): void {
    this.#accepting = false;
    clearInterval(this.#sweeper);
    this.#refuseQueued();
    for (const member of this.#members) {
      const job = member.job;
      member.job = null;
      if (job !== null) {
        job.reject(
          new RpcError(RpcCode.BUSY, `${job.fn}: the host stopped before the call finished`),
        );
      }
      member.handle?.terminate();
      member.handle = null;
      this.#context.table.set(member.slot, "stopped");
    }
  }

  /** Answers every queued call "busy": the host is stopping. */
  #refuseQueued(): void {
    for (const job of this.takeQueue()) {
      job.reject(
        new RpcError(RpcCode.BUSY, "busy: the host is stopping; the call was not started"),
      );
    }
  }

  #drained(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle = resolve);
  }

  #spawn(member: Member): void {
    if (!this.#accepting) return; // stopping, retired or discarded: no new worker
    const { table, scriptUrl, logLevel } = this.#context;
    table.set(member.slot, "starting");
    member.ready = false;
    member.channel = new SharedChannel();
    member.handle = new WorkerHandle({
      type: "init",
      role: "rpc",
      scriptUrl,
      task: POOL_TASK,
      index: member.slot.index,
      logLevel,
      shared: member.channel.buffer,
    }, {
      message: (message) => this.#onMessage(member, message),
      crash: (error) => this.#lost(member, `worker crashed: ${error.message}`, error),
    });
  }

  #onMessage(member: Member, message: WorkerToHost): void {
    switch (message.type) {
      case "result":
        return this.#finish(member, message.id, (job) => job.resolve(message.json));
      case "run-failed":
        return this.#finish(
          member,
          message.id,
          (job) => job.reject(runError(job.fn, message.reason, message.error)),
        );
      case "loaded":
        if (!this.#everLoaded) {
          this.#functions = message.functions;
          this.#functionSet = new Set(message.functions);
        }
        this.#everLoaded = true;
        this.#loaded.resolve(message.functions);
        member.ready = true;
        this.#context.table.set(member.slot, "idle");
        return this.#dispatch();
      case "load-failed":
        return this.#lost(
          member,
          `cannot load the script: ${message.error.message}`,
          message.error,
        );
      case "log":
        return logFromWorker(member.slot.task, member.slot.index, message.level, message.message);
    }
  }

  /** An answer that came through the shared channel. */
  #onShared(member: Member, job: Job, answer: SharedAnswer): void {
    const { kind, text } = answer;
    if (kind === "by-message") return; // the answer comes as a message
    if (kind === "result") return this.#finish(member, job.id, (j) => j.resolve(text));
    const error = JSON.parse(text) as ErrorInfo;
    this.#finish(member, job.id, (j) => j.reject(runError(j.fn, kind, error)));
  }

  #finish(member: Member, id: number, settle: (job: Job) => void): void {
    const job = member.job;
    if (job === null || job.id !== id) return;
    member.job = null;
    this.#context.table.set(member.slot, "idle");
    settle(job);
    this.#dispatch();
    if (this.#idle !== null && this.running === 0) this.#idle();
  }

  #dispatch(): void {
    for (const member of this.#members) {
      if (!member.ready || member.job !== null || member.handle === null) continue;
      const job = this.#nextJob();
      if (job === undefined) return;
      member.job = job;
      this.#context.table.set(member.slot, "running");
      job.startedAt = performance.now();
      const answer = member.channel?.call(job.id, job.fn, job.data);
      if (answer) {
        answer.then(
          (shared) => this.#onShared(member, job, shared),
          (error: Error) => member.job === job && this.#lost(member, error.message),
        );
      } else member.handle.post({ type: "run", id: job.id, fn: job.fn, data: job.data });
    }
  }

  /** The next queued call whose client is still there. */
  #nextJob(): Job | undefined {
    while (this.queued > 0) {
      const job = this.#queue[this.#queueHead++];
      if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#queueHead);
        this.#queueHead = 0;
      }
      if (!job.signal?.aborted) return job;
      job.reject(new RpcError(RpcCode.BUSY, `${job.fn}: the client has gone; not run`));
    }
    return undefined;
  }

  /** Times out every run that has taken longer than the timeout (one timer for all runs). */
  #sweep(): void {
    const now = performance.now();
    for (const member of this.#members) {
      const job = member.job;
      if (job !== null && now - (job.startedAt ?? now) >= this.#options.timeoutMs) {
        this.#timedOut(member, job);
      }
    }
  }

  #timedOut(member: Member, job: Job): void {
    job.reject(
      new RpcError(
        RpcCode.TIMEOUT,
        `${job.fn} did not answer within ${this.#options.timeoutMs} ms; its worker was replaced`,
      ),
    );
    member.job = null;
    member.handle?.stop(); // notes the worker if it is stuck in synchronous code
    member.handle = null;
    this.#lost(member, `run of ${job.fn} timed out after ${this.#options.timeoutMs} ms`);
  }

  /** A member's worker is gone or useless: fail its job, start a new one. */
  #lost(member: Member, why: string, error?: ErrorInfo): void {
    member.handle?.terminate();
    member.handle = null;
    member.ready = false;
    const job = member.job;
    member.job = null;
    if (job !== null) {
      job.reject(new RpcError(RpcCode.INTERNAL_ERROR, `${job.fn}: ${why}`));
    }
    this.#context.table.set(member.slot, "failed", why);
    if (!this.#everLoaded && error !== undefined) {
      this.#loaded.reject(error);
      return;
    }
    if (this.#idle !== null && this.running === 0) this.#idle();
    if (!this.#accepting) return;
    emit(
      log(POOL_TASK, String(member.slot.index)),
      "error",
      `rpc worker ${member.slot.index}: ${error ? describeError(error) : why}`,
    );
    member.slot.restarts++;
    const delay = error === undefined ? 0 : RESPAWN_DELAY_MS;
    setTimeout(() => this.#spawn(member), delay);
    this.#dispatch();
  }
}
