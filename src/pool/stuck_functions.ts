/**
 * The functions the pool refuses because a run of one got its worker stuck
 * in synchronous code: Deno cannot stop that thread, so each further run
 * could take one more core for good. A reload brings a new pool, and so
 * clears the list.
 *
 * @module
 */

import { RpcCode, RpcError } from "../rpc/errors.ts";

/** Functions refused, with when each got its worker stuck. */
export class StuckFunctions {
  #since = new Map<string, number>();
  #now: () => number;

  /** An empty list; `now` is the clock, in ms since the epoch. */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Refuses `fn` from now on (the first time counts). */
  note(fn: string): void {
    if (!this.#since.has(fn)) this.#since.set(fn, this.#now());
  }

  /** The error that answers a run of `fn`, or null when `fn` is not refused. */
  refusal(fn: string): RpcError | null {
    const since = this.#since.get(fn);
    if (since === undefined) return null;
    return new RpcError(
      RpcCode.REFUSED_STUCK,
      `${fn} is refused: a run of it got its worker stuck in synchronous code at ` +
        `${new Date(since).toISOString()}, which Deno cannot stop; fix it and run ` +
        "evrexec.reload, or restart the host",
    );
  }
}
