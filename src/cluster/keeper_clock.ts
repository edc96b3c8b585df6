/**
 * The clock and timers a lease keeper runs on: the host's monotonic clock
 * (never stepped) and `setTimeout`, or a simulated one in tests.
 *
 * @module
 */

/** The clock and timers the keeper runs on (the host passes `performance.now` and `setTimeout`). */
export interface KeeperClock {
  /** Ms on a clock that is never stepped. */
  monotonic(): number;
  /** Calls `fn` after `ms`; returns what `cancel` takes. */
  setTimer(fn: () => void, ms: number): unknown;
  /** Cancels a timer of `setTimer`. */
  cancel(timer: unknown): void;
}

/** The host's monotonic clock and timers. */
export const systemKeeperClock: KeeperClock = {
  monotonic: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  cancel: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};
