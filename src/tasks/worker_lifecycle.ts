/**
 * One exec worker slot as a state machine: no worker, one asked for, one
 * live, one being stopped, or a restart waiting out its backoff. Whatever the
 * order of start, stop, restart, timers, crashes and late replies, a slot
 * never has more than one live worker.
 *
 * @module
 */

import type { WorkerState } from "../spawn/worker_states.ts";
import type { ErrorInfo } from "../shared/messages.ts";
import type { Ending, RestartDecision } from "./restart_policy.ts";

/** How long a running function's worker gets to acknowledge a stop before it counts as stuck. */
export const STOP_ACK_MS = 100;

/**
 * Where a slot is: `idle` (no worker), `queued` (a worker is asked for),
 * `live` (one worker), `stopping` (its worker was told to stop), `backoff`
 * (a restart waits for its delay).
 */
export type LifecyclePhase = "idle" | "queued" | "live" | "stopping" | "backoff";

/** Why a slot ends its worker. */
export type DropReason =
  | "done" // no longer needed: stopped, replaced, or its function ended
  | "stuck" // did not acknowledge a stop within STOP_ACK_MS (synchronous code)
  | "late"; // acknowledged, but did not end within its grace

/** A worker asked for: made, or the error that stopped it. */
export type Made<W> = { readonly worker: W } | { readonly error: ErrorInfo };

/** Time and timers; tests drive a fake one. */
export interface LifecycleClock {
  /** Milliseconds on any monotonic scale. */
  now(): number;
  /** Calls `fire` after `ms`; the returned function cancels it. */
  after(ms: number, fire: () => void): () => void;
}

/** What a slot does to the world; `W` is its kind of worker. */
export interface LifecyclePorts<W> {
  /** Asks for a new worker; `done` gets it later. Returns a function that withdraws the request. */
  create(done: (made: Made<W>) => void): () => void;
  /** Tells the worker's function to stop (`KSR.shutdown`). */
  signal(worker: W): void;
  /** Ends the worker. */
  terminate(worker: W, why: DropReason): void;
  /** Shows the slot's state (in the worker states). */
  show(state: WorkerState, error?: string): void;
  /** The restart policy's decision about a function that ended; logs the ending. */
  decide(ending: Ending, upMs: number, error?: ErrorInfo): RestartDecision;
  /** The slot's clock. */
  readonly clock: LifecycleClock;
}

/** What the worker's function is doing. */
type Stage = "loading" | "waiting" | "running" | "ended";

/** A stop in progress. */
interface Stop {
  acked: boolean;
  then: "idle" | "start";
  readonly done: PromiseWithResolvers<void>;
  readonly cancel: (() => void)[];
}

/** One worker slot of an exec task. */
export class WorkerLifecycle<W> {
  #ports: LifecyclePorts<W>;
  #phase: LifecyclePhase = "idle";
  #worker: W | null = null;
  #stage: Stage = "loading";
  #createdAt = 0;
  #request: object | null = null;
  #cancel: (() => void) | null = null;
  #stop: Stop | null = null;

  /** A slot with no worker yet. */
  constructor(ports: LifecyclePorts<W>) {
    this.#ports = ports;
  }

  /** Where the slot is. */
  get phase(): LifecyclePhase {
    return this.#phase;
  }

  /** The slot's live worker, if any. */
  get worker(): W | null {
    return this.#worker;
  }

  /** Starts a worker unless one is busy; a stop in progress is followed by a start. */
  start(): void {
    switch (this.#phase) {
      case "idle":
      case "backoff":
        return this.#queue();
      case "live":
        if (this.#stage !== "ended") return;
        this.#drop("done");
        return this.#queue();
      case "stopping":
        this.#stop!.then = "start";
    }
  }

  /**
   * Stops the worker: a function that is running is told (`KSR.shutdown`)
   * and ended by the stop rule (see `acknowledged`); anything else ends at
   * once. Resolves once the slot has no worker.
   */
  stop(graceMs: number): Promise<void> {
    return this.#halt(graceMs, "idle");
  }

  /** Stops the worker as `stop` does, then asks for a new one. */
  restart(graceMs: number): Promise<void> {
    return this.#halt(graceMs, "start");
  }

  /** A task's crash loop gave up: a restart waiting in backoff is dropped. */
  giveUp(): void {
    if (this.#phase !== "backoff") return;
    this.#withdraw();
    this.#phase = "idle";
    this.#ports.show("failed");
  }

  /** Ends everything at once (the host stops now). */
  terminate(): void {
    this.#withdraw();
    const stop = this.#stop;
    this.#stop = null;
    for (const cancel of stop?.cancel ?? []) cancel();
    this.#drop("done");
    this.#phase = "idle";
    this.#ports.show("stopped");
    stop?.done.resolve();
  }

  /** `worker` loaded the script and spends its task's wait. */
  loaded(worker: W): void {
    if (this.#phase !== "live" || worker !== this.#worker) return;
    this.#stage = "waiting";
    this.#ports.show("waiting");
  }

  /** `worker` entered its function. */
  entered(worker: W): void {
    if (this.#phase !== "live" || worker !== this.#worker) return;
    this.#stage = "running";
    this.#ports.show("running");
  }

  /**
   * `worker` acknowledged a stop. One whose code never read `KSR.shutdown`
   * (`watched` false) is ended at once; one that did keeps its grace.
   */
  acknowledged(worker: W, watched: boolean): void {
    if (this.#phase !== "stopping" || worker !== this.#worker) return;
    if (watched) this.#stop!.acked = true;
    else this.#finishStop("done");
  }

  /** `worker`'s function ended (or the worker died: `crashed`). */
  ended(worker: W, ending: Ending, error?: ErrorInfo): void {
    if (worker !== this.#worker) return; // an old worker, replaced already
    if (this.#phase === "stopping") return this.#finishStop("done");
    if (this.#phase !== "live") return;
    this.#stage = "ended";
    if (ending === "crashed") {
      this.#drop("done");
      this.#phase = "idle";
    }
    this.#applyPolicy(ending, error);
  }

  #halt(graceMs: number, then: "idle" | "start"): Promise<void> {
    switch (this.#phase) {
      case "stopping":
        this.#stop!.then = then;
        return this.#stop!.done.promise;
      case "live":
        if (this.#stage === "running") return this.#beginStop(graceMs, then);
        this.#drop("done");
        break;
      case "queued":
        if (then === "start") return Promise.resolve();
        this.#withdraw();
        break;
      case "backoff":
        this.#withdraw();
    }
    this.#settle(then);
    return Promise.resolve();
  }

  #beginStop(graceMs: number, then: "idle" | "start"): Promise<void> {
    const { clock } = this.#ports;
    const stop: Stop = { acked: false, then, done: Promise.withResolvers(), cancel: [] };
    this.#phase = "stopping";
    this.#stop = stop;
    const judge = () => {
      if (this.#stop === stop && !stop.acked) this.#finishStop("stuck");
    };
    stop.cancel.push(
      // One more turn first: an ack that came while this thread was busy is read before the verdict.
      clock.after(STOP_ACK_MS, () => stop.cancel.push(clock.after(0, judge))),
      clock.after(graceMs, () => {
        if (this.#stop === stop) this.#finishStop("late");
      }),
    );
    this.#ports.signal(this.#worker!);
    return stop.done.promise;
  }

  #finishStop(why: DropReason): void {
    const stop = this.#stop!;
    this.#stop = null;
    for (const cancel of stop.cancel) cancel();
    this.#drop(why);
    this.#settle(stop.then);
    stop.done.resolve();
  }

  /** After a stop: a new worker is asked for, or the slot rests `stopped`. */
  #settle(then: "idle" | "start"): void {
    if (then === "start") return this.#queue();
    this.#phase = "idle";
    this.#ports.show("stopped");
  }

  #queue(): void {
    this.#withdraw();
    this.#phase = "queued";
    this.#ports.show("starting");
    const request = {};
    this.#request = request;
    const withdraw = this.#ports.create((made) => this.#made(request, made));
    if (this.#request === request) this.#cancel = withdraw;
  }

  #made(request: object, made: Made<W>): void {
    if (this.#request !== request || this.#phase !== "queued") {
      if ("worker" in made) this.#ports.terminate(made.worker, "done"); // never orphaned
      return;
    }
    this.#request = null;
    this.#cancel = null;
    this.#createdAt = this.#ports.clock.now();
    if ("error" in made) {
      this.#phase = "idle";
      this.#stage = "ended";
      return this.#applyPolicy("crashed", made.error);
    }
    this.#worker = made.worker;
    this.#phase = "live";
    this.#stage = "loading";
    this.#ports.show("starting");
  }

  #applyPolicy(ending: Ending, error?: ErrorInfo): void {
    const failed = ending !== "returned";
    this.#ports.show(
      failed ? "failed" : "returned",
      failed ? error?.message ?? "unknown error" : undefined,
    );
    const decision = this.#ports.decide(ending, this.#ports.clock.now() - this.#createdAt, error);
    if (decision.kind !== "restart") return;
    this.#drop("done");
    this.#phase = "backoff";
    this.#ports.show("backoff");
    const timer = this.#ports.clock.after(decision.delayMs, () => {
      if (this.#cancel === timer) this.#queue();
    });
    this.#cancel = timer;
  }

  #withdraw(): void {
    const cancel = this.#cancel;
    this.#cancel = null;
    this.#request = null;
    cancel?.();
  }

  #drop(why: DropReason): void {
    const worker = this.#worker;
    this.#worker = null;
    if (worker !== null) this.#ports.terminate(worker, why);
  }
}
