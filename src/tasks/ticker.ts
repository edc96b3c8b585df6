/**
 * One worker's ticks: arms a timer for each tick its schedule makes due,
 * applies the overlap rule, and counts runs, errors and skipped ticks. Its
 * clock and timers are parameters, so tests drive it without waiting.
 *
 * @module
 */

import type { Overlap, Schedule } from "../config/schedule.ts";

/** The longest one timer sleeps: a wall-clock step is noticed within this long. */
const MAX_SLEEP_MS = 60_000;

/** The clocks and timers a {@link Ticker} runs on. */
export interface TickClock {
  /** Milliseconds since the epoch (`Date.now()`). */
  wall(): number;
  /** Milliseconds on a clock that is never stepped (`performance.now()`). */
  monotonic(): number;
  /** Calls `fn` after `ms` milliseconds; returns what `cancel` takes. */
  setTimer(fn: () => void, ms: number): unknown;
  /** Cancels a timer of `setTimer`. */
  cancel(timer: unknown): void;
}

/** The host's clocks and timers. */
export const systemClock: TickClock = {
  wall: () => Date.now(),
  monotonic: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  cancel: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

/** One tick handed to the worker. */
export interface Tick {
  /** Its number, unique within the ticker. */
  readonly id: number;
  /** When it was due, in ms since the epoch: its time in the schedule, or when it was triggered. */
  readonly due: number;
  /** True for a tick triggered over RPC, not made by the schedule. */
  readonly triggered?: boolean;
}

/** What became of a tick offered to the worker. */
export type TickOutcome = "started" | "queued" | "skipped" | "not running";

/** What a ticker does towards its worker and its log. */
export interface TickerEvents {
  /** Hands a tick to the worker, which answers `started` and then `ended`. */
  send(tick: Tick): void;
  /** A tick was dropped: the previous call still ran (or one was queued already). */
  skipped(tick: Tick): void;
}

/** A ticker's figures, times in ms since the epoch. */
export interface TickCounts {
  /** When the next tick is due; null while not running or when no tick is left. */
  readonly nextRun: number | null;
  /** When the last tick started. */
  readonly lastRun: number | null;
  /** How long the last finished tick took, in ms. */
  readonly lastDurationMs: number | null;
  /** Ticks that started. */
  readonly runs: number;
  /** Ticks that threw or rejected. */
  readonly errors: number;
  /** Ticks dropped by the overlap rule, or missed while the host was behind. */
  readonly skipped: number;
  /** True while a tick's call runs. */
  readonly inTick: boolean;
}

/** The ticks of one worker; counters last across the worker's restarts. */
export class Ticker {
  #schedule: Schedule;
  #overlap: Overlap;
  #clock: TickClock;
  #events: TickerEvents;
  #active = false;
  #due: number | null = null;
  #timer: unknown = null;
  #running: Tick | null = null;
  #queued: Tick | null = null;
  #nextId = 1;
  #waiters = new Map<number, (outcome: TickOutcome) => void>();
  #counts = { lastRun: null as number | null, lastDurationMs: null as number | null };
  #runs = 0;
  #errors = 0;
  #skipped = 0;

  /** A ticker, idle until `begin`. */
  constructor(schedule: Schedule, overlap: Overlap, clock: TickClock, events: TickerEvents) {
    this.#schedule = schedule;
    this.#overlap = overlap;
    this.#clock = clock;
    this.#events = events;
  }

  /** True between `begin` and `halt`. */
  get active(): boolean {
    return this.#active;
  }

  #now(): number {
    return this.#schedule.clock === "wall" ? this.#clock.wall() : this.#clock.monotonic();
  }

  #toWall(time: number): number {
    return this.#schedule.clock === "wall"
      ? time
      : Math.round(this.#clock.wall() + time - this.#clock.monotonic());
  }

  /** A new worker is ready: ticks start from now, none running or queued. */
  begin(): void {
    this.halt();
    this.#running = null;
    this.#active = true;
    this.#due = this.#schedule.first(this.#now());
    this.#arm();
  }

  /**
   * A new worker is ready for ticks given from outside ({@link trigger}) only:
   * none is due on its own (a fleet's fire loop gives each fire).
   */
  activate(): void {
    this.halt();
    this.#running = null;
    this.#active = true;
  }

  /** No tick starts any more; a running one may still end. */
  halt(): void {
    this.#active = false;
    this.#due = null;
    this.#queued = null;
    if (this.#timer !== null) this.#clock.cancel(this.#timer);
    this.#timer = null;
    for (const wake of this.#waiters.values()) wake("not running");
    this.#waiters.clear();
  }

  #arm(): void {
    if (this.#due === null) return;
    const ms = Math.min(MAX_SLEEP_MS, Math.max(0, Math.ceil(this.#due - this.#now())));
    this.#timer = this.#clock.setTimer(() => this.#wake(), ms);
  }

  #wake(): void {
    this.#timer = null;
    let due = this.#due;
    if (!this.#active || due === null) return;
    const now = this.#now();
    if (now < due) return this.#arm(); // never early: a midnight tick must not see 23:59:59.999
    let next = this.#schedule.next(due, now);
    if (next.at !== null && next.at <= now) {
      // Woke late (a stall, a wall-clock step): only the latest due tick starts.
      this.#skipped += next.missed + 1;
      due = next.at;
      next = this.#schedule.next(due, now);
    }
    this.#offer({ id: this.#nextId++, due: this.#toWall(due) });
    if (!this.#active) return; // the worker was found gone when the tick was sent
    this.#skipped += next.missed;
    this.#due = next.at;
    this.#arm();
  }

  /** Applies the overlap rule to `tick`. */
  #offer(tick: Tick): TickOutcome {
    if (this.#running === null) {
      this.#running = tick;
      this.#events.send(tick);
      return "started";
    }
    if (this.#overlap === "queue" && this.#queued === null) {
      this.#queued = tick;
      return "queued";
    }
    this.#skipped++;
    this.#events.skipped(tick);
    return "skipped";
  }

  /**
   * Runs one tick now, under the overlap rule. Resolves `started` once the
   * worker says the call has begun; `queued`, `skipped` or `not running` at once.
   */
  trigger(): Promise<TickOutcome> {
    if (!this.#active) return Promise.resolve("not running");
    const tick = { id: this.#nextId++, due: this.#clock.wall(), triggered: true };
    const started = new Promise<TickOutcome>((resolve) => this.#waiters.set(tick.id, resolve));
    const outcome = this.#offer(tick);
    if (outcome === "started") return started;
    this.#waiters.delete(tick.id);
    return Promise.resolve(outcome);
  }

  /** The worker began the call of tick `id`. */
  started(id: number): void {
    if (this.#running?.id !== id) return;
    this.#runs++;
    this.#counts.lastRun = this.#clock.wall();
    this.#waiters.get(id)?.("started");
    this.#waiters.delete(id);
  }

  /**
   * The call of tick `id` ended after `ms` (`failed` if it threw), or was
   * refused (`ran` false: the worker is stopping). Starts a queued tick.
   * Returns the tick, or null if it is not the running one.
   */
  ended(id: number, ran: boolean, ms: number, failed: boolean): Tick | null {
    const tick = this.#running;
    if (tick?.id !== id) return null;
    this.#running = null;
    this.#waiters.get(id)?.("not running");
    this.#waiters.delete(id);
    if (ran) {
      this.#counts.lastDurationMs = ms;
      if (failed) this.#errors++;
    }
    const queued = this.#queued;
    this.#queued = null;
    if (queued !== null && ran && this.#active) this.#offer(queued);
    return tick;
  }

  /** The ticker's figures now. */
  counts(): TickCounts {
    return {
      nextRun: this.#active && this.#due !== null ? this.#toWall(this.#due) : null,
      ...this.#counts,
      runs: this.#runs,
      errors: this.#errors,
      skipped: this.#skipped,
      inTick: this.#running !== null,
    };
  }
}
