/**
 * The warm RPC pool: workers with the script already loaded (`member.ts`),
 * one call at a time each, a bounded queue in front (`job.ts`), and one
 * sweep timer that times out runs and replaces their worker; calls are held
 * back or refused around stuck workers (`stuck_bound.ts`). Its workers
 * report the script's exported functions as they load it (`script_load.ts`).
 * A lost worker is started again: at once after a timeout, and after a
 * doubling delay (the house's one {@link Backoff}) when it crashed or could
 * not load the script (a broken file on disk), so that a member that cannot
 * start does not crash-loop; only the first failure of a streak is an error
 * in the log.
 *
 * @module
 */

import { log, logVerbatim } from "../base/log.ts";
import type { SpawnContext } from "../spawn/spawn_context.ts";
import type { WorkerHandle } from "../spawn/handle.ts";
import type { WorkerSlot } from "../spawn/worker_states.ts";
import { settlesWithin } from "../base/deadline.ts";
import { nextCount } from "../shared/channel_layout.ts";
import { errorInfo, errorStack } from "../shared/error_text.ts";
import type { ErrorInfo } from "../shared/messages.ts";
import { type Job, JobQueue, type JobTrace } from "./job.ts";
import { PoolError } from "./pool_error.ts";
import { type MemberEvents, POOL_TASK, PoolMember } from "./member.ts";
import { Backoff } from "../base/backoff.ts";
import { ScriptLoad } from "./script_load.ts";
import { StuckBound } from "./stuck_bound.ts";
import { resolveSandbox, type Sandbox, type SandboxSpec } from "../config/sandbox.ts";

/** Settings of the pool. */
export interface PoolOptions {
  /** How many warm workers. */
  readonly size: number;
  /** How many calls may wait for a worker before calls are refused. */
  readonly queueLimit: number;
  /** How long a run may take, in milliseconds. */
  readonly timeoutMs: number;
  /**
   * The first request id, and where every channel's counts start (default
   * 1), an Int32; ids and counts wrap, and tests start them just below that.
   */
  readonly counterStart?: number;
  /** Isolation, heap cap and permissions of its workers (`--rpc-pool`). */
  readonly sandbox?: SandboxSpec;
}

/** The first delay before a pool worker that crashed or did not load is started again, in ms. */
export const RESPAWN_FIRST_MS = 1000;
/** The longest such delay, in ms. */
export const RESPAWN_MAX_MS = 60_000;

/** The pool of warm workers that runs `evrexec.run` calls. */
export class RpcPool {
  /** How the pool's workers are isolated. */
  readonly sandbox: Sandbox;
  /** Functions and calls held back or refused around stuck workers. */
  readonly stuck: StuckBound;
  #options: PoolOptions;
  #context: SpawnContext;
  #members: PoolMember[];
  #queue = new JobQueue();
  #nextId: number;
  #script = new ScriptLoad();
  #accepting = true;
  #restStarted = false;
  #respawns = new Backoff(RESPAWN_FIRST_MS, RESPAWN_MAX_MS);
  #idle: (() => void) | null = null;
  #sweeper: ReturnType<typeof setInterval>;

  /** Registers the pool's worker slots; `load` starts the first worker. */
  constructor(options: PoolOptions, context: SpawnContext) {
    this.#options = options;
    this.#context = context;
    this.sandbox = resolveSandbox(options.sandbox, context.workerHeapMiB);
    this.stuck = new StuckBound(context.workers);
    const counterStart = (options.counterStart ?? 1) | 0;
    this.#nextId = counterStart;
    const every = Math.min(1000, Math.max(10, options.timeoutMs / 10));
    this.#sweeper = setInterval(() => this.#sweep(), every);
    Deno.unrefTimer(this.#sweeper);
    const events: MemberEvents = {
      loaded: (member, functions) => this.#onLoaded(member, functions),
      freed: () => this.#onFreed(),
      lost: (member, why, error) => this.#lost(member, why, error),
    };
    this.#members = Array.from(
      { length: options.size },
      (_, index) => new PoolMember(index, context, events, counterStart, this.sandbox),
    );
  }

  /** The script's exported functions, known once `load` has resolved. */
  get functions(): readonly string[] {
    return this.#script.functions;
  }

  /** True when the script exports a function called `name`. */
  exports(name: string): boolean {
    return this.#script.exports(name);
  }

  /** Each member's slot and live worker, if any (to ask it for its heap). */
  workers(): { slot: WorkerSlot; handle: WorkerHandle | null }[] {
    return this.#members.map(({ slot, handle }) => ({ slot, handle }));
  }

  /** Calls waiting for a worker. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Workers free for one more call now, less the calls waiting for one (may be negative). */
  get idle(): number {
    return this.#members.filter((member) => member.free).length - this.#queue.length;
  }

  /** Calls running now. */
  get running(): number {
    return this.#members.filter((member) => member.job !== null).length;
  }

  /**
   * Starts the first worker and resolves with the script's exported
   * functions, or rejects with the error that stopped the script loading.
   */
  load(): Promise<readonly string[]> {
    this.#spawn(this.#members[0]);
    return this.#script.first;
  }

  /**
   * Starts the other workers and resolves once every worker has loaded the
   * script; rejects with the first load failure (a reload then fails: the
   * file changed since the first worker read it).
   */
  loadRest(): Promise<void> {
    this.startRest();
    return this.#script.all;
  }

  /** Starts the other workers, through the host's pacer; later calls do nothing. */
  startRest(): void {
    if (this.#restStarted) return;
    this.#restStarted = true;
    for (const member of this.#members.slice(1)) {
      this.#context.pacer.schedule(() => member.handle === null && this.#spawn(member));
    }
  }

  /**
   * Runs `fn(data)` on a warm worker; resolves with the result as JSON text.
   * Rejects with a {@link PoolError}: the function threw, timed out, got a
   * worker stuck earlier, or the queue is full. A call still queued when
   * `signal` aborts (its client has gone) is dropped; a running one finishes.
   * `trace` (OpenTelemetry on) carries the call's span to the worker.
   */
  run(fn: string, data: string, signal?: AbortSignal, trace?: JobTrace): Promise<string> {
    if (!this.#accepting) {
      return Promise.reject(new PoolError("busy", "busy: the host is stopping"));
    }
    const held = this.stuck.admission(fn, this.#options.queueLimit - this.queued);
    if (held !== null) return held.then(() => this.run(fn, data, signal, trace));
    if (this.queued >= this.#options.queueLimit) {
      return Promise.reject(
        new PoolError("busy", `busy: ${this.queued} calls are waiting (--rpc-queue)`),
      );
    }
    const { promise, resolve, reject } = Promise.withResolvers<string>();
    const id = this.#nextId;
    this.#nextId = nextCount(id); // stored in an Int32 field of the channel
    this.#queue.push({ id, fn, data, resolve, reject, signal, trace });
    this.#dispatch();
    return promise;
  }

  /** Takes the calls still waiting out of the queue (to hand them to a new pool). */
  takeQueue(): Job[] {
    return this.#queue.takeAll();
  }

  /** Queues calls taken from another pool, in their order. */
  adopt(jobs: Job[]): void {
    this.#queue.push(...jobs);
    this.#dispatch();
  }

  /**
   * Retires the pool after a reload: it takes no new call, aborts
   * `KSR.shutdown` in its workers, lets running calls finish, then stops its
   * workers and drops their slots from the table. Queued calls must have
   * been taken (`takeQueue`) first.
   */
  async retire(): Promise<void> {
    this.#accepting = false;
    this.#signalStop();
    await this.#drained();
    this.discard();
  }

  /**
   * Stops for a shutdown: refuses new calls, answers queued ones "busy" at
   * once, aborts `KSR.shutdown` in its workers, lets running calls finish
   * for up to `graceMs`, then stops every worker; calls still running then
   * are answered with an error.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.#accepting = false;
    this.#refuseQueued();
    this.#signalStop();
    await settlesWithin(this.#drained(), graceMs);
    this.terminate();
  }

  /** Stops the pool at once and drops its slots from the table (a failed reload). */
  discard(): void {
    this.#signalStop();
    this.terminate();
    for (const member of this.#members) this.#context.states.remove(member.slot);
  }

  /** Stops every worker at once; calls running or queued are answered with an error. */
  terminate(): void {
    this.#accepting = false;
    clearInterval(this.#sweeper);
    this.#refuseQueued();
    for (const member of this.#members) {
      const job = member.takeJob();
      job?.reject(
        new PoolError("busy", `${job.fn}: the host stopped before the call finished`),
      );
      member.release();
      this.#context.states.set(member.slot, "stopped");
    }
  }

  /** Answers every queued call "busy": the host is stopping. */
  #refuseQueued(): void {
    for (const job of this.takeQueue()) {
      job.reject(
        new PoolError("busy", "busy: the host is stopping; the call was not started"),
      );
    }
  }

  #signalStop(): void {
    for (const member of this.#members) member.signalStop();
  }

  #drained(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle = resolve);
  }

  #spawn(member: PoolMember): void {
    if (!this.#accepting) return; // stopping, retired or discarded: no new worker
    try {
      member.spawn();
    } catch (error) {
      const { name, message } = errorInfo(error);
      this.#lost(member, `cannot start a worker: ${message}`, { name, message });
    }
  }

  #onLoaded(member: PoolMember, functions: readonly string[]): void {
    this.#respawns.reset(member.slot.index);
    this.#script.loaded(functions, this.#members.every((each) => each.ready));
    this.#dispatch();
  }

  #onFreed(): void {
    this.#dispatch();
    if (this.#idle !== null && this.running === 0) this.#idle();
  }

  #dispatch(): void {
    if (!this.stuck.admits(this.#queue)) return;
    for (const member of this.#members) {
      if (!member.free) continue;
      // A function may have been refused since its call was queued.
      const job = this.#queue.next((queued) => this.stuck.refusal(queued.fn));
      if (job === undefined) return;
      member.give(job);
    }
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

  #timedOut(member: PoolMember, job: Job): void {
    const ms = this.#options.timeoutMs;
    const text = `${job.fn} did not answer within ${ms} ms; its worker was replaced`;
    job.reject(new PoolError("timeout", text));
    member.takeJob();
    // Held back until the verdict: whether the worker is stuck in synchronous code.
    this.stuck.timedOut(job.fn, member.release(true)).then(() => this.#dispatch());
    this.#lost(member, `run of ${job.fn} timed out after ${ms} ms`);
  }

  /** A member's worker is gone or useless: fail its job, start a new one. */
  #lost(member: PoolMember, why: string, error?: ErrorInfo): void {
    member.release();
    const job = member.takeJob();
    if (job !== null) {
      job.reject(new PoolError("lost", `${job.fn}: ${why}`));
    }
    this.#context.states.set(member.slot, "failed", why);
    if (error !== undefined && this.#script.failed(error)) return;
    if (this.#idle !== null && this.running === 0) this.#idle();
    if (!this.#accepting) return;
    const index = member.slot.index;
    const { delayMs, streak } = error === undefined
      ? { delayMs: 0, streak: 0 } // a timeout: a new worker at once
      : this.#respawns.failed(index);
    logVerbatim(
      log(POOL_TASK, String(index)),
      streak === 0 ? "error" : "debug",
      `rpc worker ${index}: ${error ? errorStack(error) : why}` +
        (delayMs > 0 ? ` (starting it again in ${delayMs} ms)` : ""),
    );
    member.slot.restarts++;
    setTimeout(() => this.#spawn(member), delayMs);
    this.#dispatch();
  }
}
