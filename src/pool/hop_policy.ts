/**
 * How the host waits for a worker's answer on the shared channel: it spins
 * on the main thread for a call that is alone, after a quiet moment, and
 * whose function has run quickly lately (a moving estimate per function);
 * else it waits with `Atomics.waitAsync`. Spins that fail (a busy machine,
 * the worker woken on the host's own core) back off.
 *
 * @module
 */

/** A function whose estimated run time is above this is never spun for, in µs. */
export const QUICK_RUN_US = 20;
/** What a spin allows for the parked worker to wake, beyond twice the run time, in µs. */
export const WAKE_ALLOWANCE_US = 30;
/** The longest the main thread spins for one answer, in µs. */
export const MAX_SPIN_US = 60;
/**
 * How long no call must have been in flight before a spin, in µs. Calls that
 * follow each other closer than this are several clients at once: the main
 * thread has other requests to read, and a spin would hold them up.
 */
export const MIN_QUIET_US = 40;
/** The most calls a run of failed spins makes the policy skip before it tries again. */
export const MAX_BACKOFF_CALLS = 256;
/** Weight of the newest run time in a function's moving estimate. */
const WEIGHT = 0.25;
/** Functions whose estimates are kept (the script's exports; more are not tracked). */
const MAX_FUNCTIONS = 1024;

/** Settings of a {@link HopPolicy}. */
export interface HopPolicyOptions {
  /** The clock, in milliseconds (default `performance.now`). */
  readonly now?: () => number;
}

/**
 * The hop's waiting rule: counts the calls in flight on every channel that
 * shares it, keeps each function's run time, and backs off spinning after
 * spins that failed.
 */
export class HopPolicy {
  /** The clock the channels bound their spins by, in milliseconds. */
  readonly now: () => number;
  #inFlight = 0;
  #quietSince = -Infinity;
  #runUs = new Map<string, number>();
  #backoff = 0;
  #skip = 0;

  /** A policy on `options.now` (default `performance.now`). */
  constructor(options: HopPolicyOptions = {}) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Calls in flight (started, not yet ended). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * How long the host may spin for the answer to a call of `fn` about to
   * start, in µs; 0: wait asynchronously. It spins only when no other call
   * is in flight and none was for {@link MIN_QUIET_US} (the main thread has
   * nothing else to do), `fn` ran in at most {@link QUICK_RUN_US} lately,
   * and no back-off is running; then for {@link WAKE_ALLOWANCE_US} plus
   * twice the run time, at most {@link MAX_SPIN_US}.
   */
  spinUs(fn: string): number {
    if (this.#inFlight > 0) return 0;
    if ((this.now() - this.#quietSince) * 1000 < MIN_QUIET_US) return 0;
    const run = this.#runUs.get(fn);
    if (run === undefined || run > QUICK_RUN_US) return 0;
    if (this.#skip > 0) {
      this.#skip--;
      return 0;
    }
    return Math.min(MAX_SPIN_US, WAKE_ALLOWANCE_US + 2 * run);
  }

  /** A call has started. */
  started(): void {
    this.#inFlight++;
  }

  /**
   * A call of `fn` has ended; the worker ran it in `runUs` µs. `spun`: the
   * host spun for it, and `caught` whether the answer came within the spin.
   */
  ended(fn: string, runUs: number, spun = false, caught = false): void {
    this.#left();
    if (spun) this.#spun(caught);
    const estimate = this.#runUs.get(fn);
    if (estimate === undefined && this.#runUs.size >= MAX_FUNCTIONS) return;
    this.#runUs.set(fn, estimate === undefined ? runUs : estimate + WEIGHT * (runUs - estimate));
  }

  /** A call ended without an answer (its channel was closed). */
  abandoned(): void {
    this.#left();
  }

  #left(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (this.#inFlight === 0) this.#quietSince = this.now();
  }

  /** The moving estimate of `fn`'s run time in the worker, in µs; undefined before a call. */
  runUs(fn: string): number | undefined {
    return this.#runUs.get(fn);
  }

  /** Calls the policy will still wait for asynchronously after failed spins. */
  get skipping(): number {
    return this.#skip;
  }

  #spun(caught: boolean): void {
    if (caught) {
      this.#backoff = 0;
      return;
    }
    this.#backoff = Math.min(MAX_BACKOFF_CALLS, Math.max(1, this.#backoff * 2));
    this.#skip = this.#backoff;
  }
}

/** The policy every channel of the process shares, unless given its own. */
export const sharedHopPolicy: HopPolicy = new HopPolicy();
