/**
 * The pool's rules around workers stuck in synchronous code, which Deno
 * cannot stop (each may burn a core until the host restarts). A function
 * whose call timed out takes no new call until the verdict on its worker
 * (at most 3 s): a call made meanwhile waits for it, then runs if that
 * worker has ended, or is refused (kind `refused`, -32004 over RPC) if it is stuck, as every later
 * call is ({@link StuckFunctions}). And the pool never
 * makes the host exit for `--max-stuck`: while the host's stuck workers
 * (the exec tasks' too) and the pool's timed-out workers still awaiting their
 * verdict reach the bound, it starts no call; once the stuck ones alone reach
 * it, it refuses every call until one ends or the host restarts.
 * Only calls running at the same moment, of different functions, that all
 * get stuck can still go past the bound: a fatal condition for the host (the
 * command line exits 1), the last resort.
 *
 * @module
 */

import { PoolError } from "./pool_error.ts";
import type { WorkerRegistry } from "../spawn/registry.ts";
import type { JobQueue } from "./job.ts";

/**
 * The functions the pool refuses because a call of one may have got its
 * worker stuck in synchronous code: Deno cannot stop that thread, so each
 * further call could take one more core for good. From a call's timeout
 * until the verdict on its worker (`spawn/thread.ts`: ended, or stuck 3 s
 * after its termination) the function is held back; once its worker has
 * ended it is taken again; once it is stuck, it is refused until a reload
 * brings a new pool, and so a new list. Each is kept with when it timed out
 * or got its worker stuck.
 */
export class StuckFunctions {
  #stuck = new Map<string, number>();
  /** Functions whose timed-out workers await their verdict: when the first timed out, and how many. */
  #pending = new Map<string, { since: number; count: number }>();
  #now: () => number;

  /** An empty list; `now` is the clock, in ms since the epoch. */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A call of `fn` timed out: it is held back until the verdict on its worker. */
  timedOut(fn: string): void {
    const pending = this.#pending.get(fn);
    if (pending === undefined) this.#pending.set(fn, { since: this.#now(), count: 1 });
    else pending.count++;
  }

  /** The verdict on the worker of a timed-out call of `fn`: stuck, or ended. */
  judged(fn: string, stuck: boolean): void {
    const pending = this.#pending.get(fn);
    if (pending !== undefined && --pending.count <= 0) this.#pending.delete(fn);
    if (stuck && !this.#stuck.has(fn)) this.#stuck.set(fn, this.#now());
  }

  /** The functions refused for good (their runs got a worker stuck). */
  get refused(): string[] {
    return [...this.#stuck.keys()];
  }

  /** The functions held back until the verdict on a timed-out worker. */
  get held(): string[] {
    return [...this.#pending.keys()];
  }

  /** The error that answers a run of `fn`, or null when `fn` is taken. */
  refusal(fn: string): PoolError | null {
    const stuck = this.#stuck.get(fn);
    if (stuck === undefined) return null;
    return new PoolError(
      "refused",
      `${fn} is refused: a run of it got its worker stuck in synchronous code at ` +
        `${new Date(stuck).toISOString()}, which Deno cannot stop; fix it and run ` +
        "evrexec.reload, or restart the host",
    );
  }

  /** The error that answers a new run of `fn` while `fn` is held back, or null when it is not. */
  heldRefusal(fn: string): PoolError | null {
    const pending = this.#pending.get(fn);
    if (pending === undefined) return null;
    const since = new Date(pending.since).toISOString();
    return new PoolError(
      "refused",
      `${fn} is refused for now: a run of it timed out at ${since} and its worker has not ` +
        "ended yet (Deno cannot stop synchronous code); it is taken again once that worker " +
        "has ended, refused until evrexec.reload if it is stuck",
    );
  }
}

/** What the pool tells of its stuck workers. */
export interface PoolStuckState {
  /** The labels of the pool's workers stuck in synchronous code. */
  readonly stuck: readonly string[];
  /** Timed-out workers awaiting the verdict (ended, or stuck). */
  readonly awaiting: number;
  /** Functions refused because a run of each got its worker stuck. */
  readonly refused: readonly string[];
  /** Functions held back until the verdict on a timed-out worker. */
  readonly held: readonly string[];
  /** True while the pool refuses every call (`--max-stuck` reached). */
  readonly closed: boolean;
}

/** One pool's functions held back or refused, and its bound on stuck workers. */
export class StuckBound {
  #functions: StuckFunctions;
  #workers: WorkerRegistry;
  #awaiting = 0;
  /** Per function held back: the verdicts still to come, and how many calls wait for them. */
  #verdicts = new Map<string, Promise<unknown>>();
  #waiting = 0;

  /** Rules over the host's registry `workers`; `now` is the clock, ms since the epoch. */
  constructor(workers: WorkerRegistry, now?: () => number) {
    this.#workers = workers;
    this.#functions = new StuckFunctions(now);
  }

  /**
   * A call of `fn` timed out; `verdict` resolves true when its worker is
   * stuck. `fn` is held back until then; resolves after the verdict is noted.
   */
  timedOut(fn: string, verdict: Promise<boolean>): Promise<void> {
    this.#functions.timedOut(fn);
    this.#awaiting++;
    const noted = verdict.then((stuck) => {
      this.#awaiting--;
      this.#functions.judged(fn, stuck);
    });
    // Calls held back wait for every verdict on `fn`, noted; the entry goes first.
    const all = Promise.all([this.#verdicts.get(fn), noted]);
    this.#verdicts.set(fn, all);
    all.then(() => this.#verdicts.get(fn) === all && this.#verdicts.delete(fn));
    return noted;
  }

  /**
   * Null when a call of `fn` may be queued now. Else a promise: rejected
   * with the refusal, or, while `fn` is held back, resolved once the
   * verdicts on its timed-out workers are in (the call is then tried again);
   * held back too when `room` calls already wait (the queue's bound), it is
   * refused at once.
   */
  admission(fn: string, room: number): Promise<void> | null {
    const verdicts = this.#verdicts.get(fn);
    if (verdicts !== undefined && this.#waiting >= room) {
      return Promise.reject(this.#functions.heldRefusal(fn));
    }
    if (verdicts === undefined) {
      const refusal = this.refusal(fn);
      return refusal === null ? null : Promise.reject(refusal);
    }
    this.#waiting++;
    return verdicts.then(() => void this.#waiting--);
  }

  /**
   * The error that answers a call of `fn` now, or null when it is taken (a
   * queued call of a function held back is taken: it was before the timeout).
   */
  refusal(fn: string): PoolError | null {
    return this.#functions.refusal(fn) ?? this.closed();
  }

  /**
   * The refusal of every call while the host's stuck workers are as many as
   * `--max-stuck` allows (one more would end the host); null when calls are taken.
   */
  closed(): PoolError | null {
    const { stuck, maxStuck } = this.#workers;
    if (maxStuck === 0 || stuck.length < maxStuck) return null;
    const are = stuck.length === 1 ? "worker is" : "workers are";
    return new PoolError(
      "refused",
      `the RPC pool takes no call: ${stuck.length} ${are} stuck in synchronous code (${
        stuck.map((worker) => worker.label).join(", ")
      }), as many as --max-stuck ${maxStuck} allows, and one more would stop the host; ` +
        "restart the host to free their CPU (isolation=process in --rpc-pool makes such calls " +
        "killable)",
    );
  }

  /**
   * Whether queued calls may start now: not while stuck workers and
   * timed-out ones awaiting their verdict reach `--max-stuck` (they wait),
   * and not while the pool is closed (they are all refused).
   */
  admits(queue: JobQueue): boolean {
    const closed = this.closed();
    if (closed !== null) {
      for (const job of queue.takeAll()) job.reject(closed);
      return false;
    }
    const { stuck, maxStuck } = this.#workers;
    return maxStuck === 0 || stuck.length + this.#awaiting < maxStuck;
  }

  /** The pool's stuck workers and refused functions. */
  get state(): PoolStuckState {
    return {
      stuck: this.#workers.stuckInPool.map((worker) => worker.label),
      awaiting: this.#awaiting,
      refused: this.#functions.refused,
      held: this.#functions.held,
      closed: this.closed() !== null,
    };
  }
}
