/**
 * The lease keeper of one singleton task on one host: a state machine that
 * stands by while another host holds the lease, takes it when it runs out,
 * renews it every `renewEveryMs` while holding, and gives up on its own
 * deadline when it cannot renew in time.
 *
 * The deadline is local and safe: it is `stopMarginMs` before the monotonic
 * time at which the last successful renewal (or the acquisition) was SENT,
 * plus the lease. The database computed the expiry from its own `now()` when
 * the statement arrived, which is later, so the keeper always stops its
 * workers before the database can let the lease pass to another host,
 * whatever the wall clocks say. A reply that comes back after the deadline is
 * not believed; a process that was paused (GC, SIGSTOP) finds on waking that
 * its deadline passed, and its late writes are refused by the database
 * because they carry the old token. Clock and operations are parameters, so
 * tests drive it through lost leases, slow renewals and pauses.
 *
 * @module
 */

import type { KeeperClock } from "./keeper_clock.ts";
import type {
  KeeperEvents,
  KeeperOptions,
  KeeperState,
  KeeperStatus,
  LeaseOps,
  LoseReason,
} from "./keeper_contract.ts";

export { type KeeperClock, systemKeeperClock } from "./keeper_clock.ts";
export type {
  KeeperEvents,
  KeeperOptions,
  KeeperState,
  KeeperStatus,
  LeaseOps,
  LoseReason,
} from "./keeper_contract.ts";

/** The lease keeper of one singleton task. */
export class LeaseKeeper {
  #clock: KeeperClock;
  #ops: LeaseOps;
  #events: KeeperEvents;
  #leaseMs: number;
  #renewEveryMs: number;
  #stopMarginMs: number;
  #retryMs: number;
  #state: KeeperState = "standby";
  #started = false;
  #token: number | null = null;
  #deadline = 0;
  #timer: unknown = null;
  #deadlineTimer: unknown = null;
  #acquiring = false;
  #workersStopped: Promise<void> = Promise.resolve();
  #stoppingWorkers = false;
  #renewing = false;
  #otherHolder: string | null = null;
  #lastError: string | null = null;

  /** A keeper in `standby`; {@link start} makes its first try. */
  constructor(clock: KeeperClock, ops: LeaseOps, events: KeeperEvents, options: KeeperOptions) {
    this.#clock = clock;
    this.#ops = ops;
    this.#events = events;
    const lease = options.leaseMs;
    this.#leaseMs = lease;
    this.#renewEveryMs = options.renewEveryMs ?? lease / 3;
    this.#stopMarginMs = options.stopMarginMs ?? Math.min(lease / 5, 2_000);
    this.#retryMs = options.retryMs ?? Math.min(lease / 10, 1_000);
    if (!(this.#renewEveryMs + this.#stopMarginMs < lease)) {
      throw new RangeError("renewEveryMs + stopMarginMs must be shorter than the lease");
    }
  }

  /** The state now. */
  get state(): KeeperState {
    return this.#state;
  }

  /**
   * The token held now, or null: checked against the clock at the call, so a
   * process that was paused past its deadline gets null before its timers run.
   * Check it before each action that needs the lease.
   */
  holding(): number | null {
    if (this.#state !== "holder" || this.#clock.monotonic() >= this.#deadline) return null;
    return this.#token;
  }

  /** The keeper as views show it. */
  status(): KeeperStatus {
    const holder = this.#state === "holder";
    return {
      state: this.#state,
      token: holder ? this.#token : null,
      deadlineInMs: holder ? this.#deadline - this.#clock.monotonic() : null,
      otherHolder: this.#otherHolder,
      lastError: this.#lastError,
    };
  }

  /** Makes the first try for the lease. */
  start(): void {
    if (this.#started || this.#state === "stopped") return;
    this.#started = true;
    this.#tryAcquire();
  }

  /** Tries for the lease now when standing by (a release was announced). */
  poke(): void {
    if (this.#started && this.#state === "standby" && !this.#acquiring) {
      this.#cancel();
      this.#tryAcquire();
    }
  }

  /** Stops for good: a holder tells `onLose(…, "stopped")` and releases the lease for a standby. */
  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    const token = this.#state === "holder" ? this.#token : null;
    this.#state = "stopped";
    this.#token = null;
    this.#cancel();
    this.#cancelDeadline();
    if (token !== null) {
      await this.#stopWorkers(token, "stopped");
      await this.#ops.release(token).catch(() => false);
    }
  }

  /** Tells `onLose` and resolves when the workers it stops are stopped. */
  #stopWorkers(token: number, reason: LoseReason): Promise<void> {
    let stopped: Promise<void>;
    try {
      stopped = Promise.resolve(this.#events.onLose(token, reason)).catch(() => {});
    } catch {
      stopped = Promise.resolve();
    }
    this.#stoppingWorkers = true;
    this.#workersStopped = stopped.then(() => void (this.#stoppingWorkers = false));
    return this.#workersStopped;
  }

  /** Releases `token` once the workers of the last loss are stopped. */
  #releaseAfterStop(token: number): void {
    void this.#workersStopped.then(() => this.#ops.release(token)).catch(() => false);
  }

  #tell(fn: () => void): void {
    try {
      fn();
    } catch { /* the owner's mistake must not break the state machine */ }
  }

  #cancel(): void {
    if (this.#timer !== null) this.#clock.cancel(this.#timer);
    this.#timer = null;
  }

  #cancelDeadline(): void {
    if (this.#deadlineTimer !== null) this.#clock.cancel(this.#deadlineTimer);
    this.#deadlineTimer = null;
  }

  #after(ms: number, fn: () => void): void {
    this.#cancel();
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = null;
      fn();
    }, Math.max(0, ms));
  }

  #armDeadline(): void {
    this.#cancelDeadline();
    this.#deadlineTimer = this.#clock.setTimer(() => {
      this.#deadlineTimer = null;
      if (this.#state !== "holder") return;
      if (this.#clock.monotonic() >= this.#deadline) this.#lose("deadline");
      else this.#armDeadline(); // woken early: wait for the rest
    }, Math.max(0, this.#deadline - this.#clock.monotonic()));
  }

  #error(error: unknown): void {
    this.#lastError = error instanceof Error ? error.message : String(error);
  }

  #tryAcquire(): void {
    if (this.#state !== "standby" || this.#acquiring || this.#stoppingWorkers) return;
    this.#acquiring = true;
    const sent = this.#clock.monotonic();
    this.#ops.acquire().then((got) => {
      this.#acquiring = false;
      if (got.acquired) this.#acquired(got.token, sent);
      else {
        this.#lastError = null;
        this.#otherHolder = got.holder;
        if (this.#state !== "standby") return;
        // Try again when that lease runs out (on the database's clock), or sooner.
        this.#after(Math.min(got.remainingMs + 1, this.#leaseMs), () => this.#tryAcquire());
      }
    }, (error) => {
      this.#acquiring = false;
      this.#error(error);
      if (this.#state === "standby") this.#after(this.#retryMs, () => this.#tryAcquire());
    });
  }

  #acquired(token: number, sent: number): void {
    this.#lastError = null;
    const deadline = sent + this.#leaseMs - this.#stopMarginMs;
    if (this.#state !== "standby" || this.#clock.monotonic() >= deadline) {
      // Stopped meanwhile, or the answer came too late to be trusted: give it back.
      this.#ops.release(token).catch(() => false);
      if (this.#state === "standby") this.#after(this.#retryMs, () => this.#tryAcquire());
      return;
    }
    this.#state = "holder";
    this.#token = token;
    this.#otherHolder = null;
    this.#deadline = deadline;
    this.#armDeadline();
    this.#after(sent + this.#renewEveryMs - this.#clock.monotonic(), () => this.#renew());
    this.#tell(() => this.#events.onHold(token));
  }

  #renew(): void {
    const token = this.#token;
    if (this.#state !== "holder" || token === null || this.#renewing) return;
    if (this.#clock.monotonic() >= this.#deadline) {
      this.#lose("deadline");
      return;
    }
    this.#renewing = true;
    const sent = this.#clock.monotonic();
    this.#ops.renew(token).then((result) => {
      this.#renewing = false;
      if (this.#state !== "holder" || this.#token !== token) {
        // Given up meanwhile: a renewal that still landed is handed back.
        if (result.renewed) this.#releaseAfterStop(token);
        return;
      }
      if (!result.renewed) {
        this.#lose("refused");
        return;
      }
      this.#lastError = null;
      const deadline = sent + this.#leaseMs - this.#stopMarginMs;
      if (deadline > this.#deadline) {
        this.#deadline = deadline;
        this.#armDeadline();
      }
      this.#after(sent + this.#renewEveryMs - this.#clock.monotonic(), () => this.#renew());
    }, (error) => {
      this.#renewing = false;
      this.#error(error);
      if (this.#state !== "holder" || this.#token !== token) return;
      // Keep trying until the deadline; the deadline timer ends the holding.
      this.#after(this.#retryMs, () => this.#renew());
    });
  }

  #lose(reason: LoseReason): void {
    const token = this.#token;
    if (this.#state !== "holder" || token === null) return;
    this.#state = "standby";
    this.#token = null;
    this.#cancel();
    this.#cancelDeadline();
    const stopped = this.#stopWorkers(token, reason);
    // After a deadline the lease may still be ours in the database: hand it back.
    if (reason === "deadline") this.#releaseAfterStop(token);
    // Try again only once this host's workers are stopped, so they never overlap new ones.
    void stopped.then(() => {
      if (this.#state === "standby" && this.#token === null) {
        this.#after(reason === "refused" ? 0 : this.#retryMs, () => this.#tryAcquire());
      }
    });
  }
}
