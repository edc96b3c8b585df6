/**
 * The calls one connection may have in flight: a counting semaphore that
 * lines and batch elements alike take a slot of, first come first served.
 *
 * @module
 */

/** Slots for calls in flight; a taker waits while all are held. */
export class CallPermits {
  /** How many calls may be in flight at once. */
  readonly limit: number;
  #held = 0;
  #waiters: (() => void)[] = [];
  #open = true;

  /** Slots for up to `limit` calls at once. */
  constructor(limit: number) {
    this.limit = limit;
  }

  /** Slots held now. */
  get held(): number {
    return this.#held;
  }

  /** Takers waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** True while no slot is free or someone waits for one. */
  get full(): boolean {
    return this.#held >= this.limit || this.#waiters.length > 0;
  }

  /**
   * Takes a slot: at once (synchronously counted) when one is free, else
   * when one is given back. Once {@link close}d, resolves at once without
   * counting, so that nothing waits for a connection that has gone.
   */
  take(): Promise<void> {
    if (!this.#open) return Promise.resolve();
    if (this.#held < this.limit && this.#waiters.length === 0) {
      this.#held++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Gives a slot back: to the first waiter, if any. */
  give(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) next();
    else if (this.#held > 0) this.#held--;
  }

  /** Lets every waiter through, and every later taker, without counting. */
  close(): void {
    this.#open = false;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
    this.#held = 0;
  }
}
