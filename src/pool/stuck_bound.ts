/**
 * The pool's rules around workers stuck in synchronous code, which Deno
 * cannot stop (each may burn a core until the host restarts). A function
 * whose call timed out takes no new call until the verdict on its worker
 * (at most 3 s): a call made meanwhile waits for it, then runs if that
 * worker has ended, or is refused (-32004) if it is stuck, as every later
 * call is (`stuck_functions.ts`). And the pool never
 * makes the host exit for `--max-stuck`: while the host's stuck workers
 * (the exec tasks' too) and the pool's timed-out workers still awaiting their
 * verdict reach the bound, it starts no call; once the stuck ones alone reach
 * it, it refuses every call (-32004) until one ends or the host restarts.
 * Only calls running at the same moment, of different functions, that all
 * get stuck can still go past the bound; the host then exits, the last resort.
 *
 * @module
 */

import { RpcCode, RpcError } from "../rpc/errors.ts";
import type { WorkerRegistry } from "../spawn/registry.ts";
import type { JobQueue } from "./job.ts";
import { StuckFunctions } from "./stuck_functions.ts";

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
  refusal(fn: string): RpcError | null {
    return this.#functions.refusal(fn) ?? this.closed();
  }

  /**
   * The refusal of every call while the host's stuck workers are as many as
   * `--max-stuck` allows (one more would end the host); null when calls are taken.
   */
  closed(): RpcError | null {
    const { stuck, maxStuck } = this.#workers;
    if (maxStuck === 0 || stuck.length < maxStuck) return null;
    const are = stuck.length === 1 ? "worker is" : "workers are";
    return new RpcError(
      RpcCode.REFUSED_STUCK,
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
