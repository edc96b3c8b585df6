/**
 * The functions the pool refuses because a call of one may have got its
 * worker stuck in synchronous code: Deno cannot stop that thread, so each
 * further call could take one more core for good. From a call's timeout
 * until the verdict on its worker (`spawn/thread.ts`: ended, or stuck 3 s
 * after its termination) the function is held back; once its worker has
 * ended it is taken again; once it is stuck, it is refused until a reload
 * brings a new pool, and so a new list.
 *
 * @module
 */

import { RpcCode, RpcError } from "../rpc/errors.ts";

/** Functions held back or refused, with when each timed out or got its worker stuck. */
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
  refusal(fn: string): RpcError | null {
    const stuck = this.#stuck.get(fn);
    if (stuck === undefined) return null;
    return new RpcError(
      RpcCode.REFUSED_STUCK,
      `${fn} is refused: a run of it got its worker stuck in synchronous code at ` +
        `${new Date(stuck).toISOString()}, which Deno cannot stop; fix it and run ` +
        "evrexec.reload, or restart the host",
    );
  }

  /** The error that answers a new run of `fn` while `fn` is held back, or null when it is not. */
  heldRefusal(fn: string): RpcError | null {
    const pending = this.#pending.get(fn);
    if (pending === undefined) return null;
    const since = new Date(pending.since).toISOString();
    return new RpcError(
      RpcCode.REFUSED_STUCK,
      `${fn} is refused for now: a run of it timed out at ${since} and its worker has not ` +
        "ended yet (Deno cannot stop synchronous code); it is taken again once that worker " +
        "has ended, refused until evrexec.reload if it is stuck",
    );
  }
}
