/**
 * A timer task's ticks on the host: one {@link Ticker} per worker, started
 * when the worker is ready, fed by its tick messages, triggered over RPC.
 *
 * @module
 */

import type { WorkerHandle } from "../spawn/handle.ts";
import type { WorkerSlot } from "../spawn/worker_states.ts";
import { settlesWithin } from "../base/deadline.ts";
import { errorStack } from "../shared/error_text.ts";
import type { WorkerToHost } from "../shared/messages.ts";
import type { Overlap, Schedule } from "../config/schedule.ts";
import { logEnding } from "./task_log.ts";
import { systemClock, type Tick, type TickClock, type TickCounts, Ticker } from "./ticker.ts";
import type { TickOutcome } from "./ticker.ts";

/** How one fleet fire ended (see {@link TaskSchedule.fire}). */
export type FireOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** How long a fleet fire waits for a worker to be ready. */
const FIRE_READY_MS = 10_000;
/** How often it looks. */
const FIRE_READY_POLL_MS = 50;

/** How often a trigger waiting for its tick to start checks that the worker still lives. */
const LIVENESS_POLL_MS = 250;
/** A time for RPC answers: ISO 8601, or null. */
const iso = (ms: number | null) => ms === null ? null : new Date(ms).toISOString();
/** A duration for RPC answers: ms to a tenth, or null. */
const tenths = (ms: number | null) => ms === null ? null : Math.round(ms * 10) / 10;

/** What a timer task adds to its `evrexec.list` entry: its totals, then each worker's ticks. */
export interface ScheduleInfo {
  /** `every=300ms` or `cron=… tz=…`. */
  readonly schedule: string;
  /** The overlap rule. */
  readonly overlap: Overlap;
  /** The earliest next tick of any worker. */
  readonly next_run: string | null;
  /** The latest tick start of any worker. */
  readonly last_run: string | null;
  /** How long the tick that ended last took, in ms. */
  readonly last_duration_ms: number | null;
  /** Ticks run, all workers together. */
  readonly runs: number;
  /** Ticks that threw, all workers together. */
  readonly errors: number;
  /** Ticks skipped, all workers together. */
  readonly skipped: number;
  /** The same figures per worker, and whether a tick runs now. */
  readonly ticks: readonly WorkerTicks[];
}

/** One worker's figures in a {@link ScheduleInfo}. */
export interface WorkerTicks {
  /** The worker's index. */
  readonly index: number;
  /** When its next tick is due. */
  readonly next_run: string | null;
  /** When its last tick started. */
  readonly last_run: string | null;
  /** How long its last tick took, in ms. */
  readonly last_duration_ms: number | null;
  /** Ticks it ran. */
  readonly runs: number;
  /** Ticks that threw. */
  readonly errors: number;
  /** Ticks it skipped. */
  readonly skipped: number;
  /** True while a tick runs. */
  readonly in_tick: boolean;
}

/** The ticks of every worker of one timer task. */
export class TaskSchedule {
  /** The schedule every worker keeps. */
  readonly schedule: Schedule;
  /** The overlap rule. */
  readonly overlap: Overlap;
  #slots: readonly WorkerSlot[];
  #tickers: Ticker[];
  #handles = new Map<WorkerSlot, WorkerHandle>();
  #lastDurationMs: number | null = null;
  /** Workers whose first skipped tick was logged as a warning (until a new worker). */
  #warned = new Set<WorkerSlot>();
  /** Ticks come from outside only (a scheduled `singleton=cluster` task's fire loop). */
  #external: boolean;
  /** Per worker, who waits for the end of its running fire. */
  #fireEnds = new Map<WorkerSlot, (outcome: FireOutcome) => void>();

  /**
   * Ticks for `slots`, idle until each worker is ready; `external`: no tick is
   * due on its own, each comes from {@link fire} (a fleet's fire loop).
   */
  constructor(
    schedule: Schedule,
    overlap: Overlap,
    slots: readonly WorkerSlot[],
    clock: TickClock = systemClock,
    external = false,
  ) {
    this.#external = external;
    this.schedule = schedule;
    this.overlap = overlap;
    this.#slots = slots;
    this.#tickers = slots.map((slot) =>
      new Ticker(schedule, overlap, clock, {
        send: (tick) => this.#send(slot, tick),
        skipped: (tick) => this.#logSkip(slot, tick),
      })
    );
  }

  /** The ticker of `slot`, if its worker is the one ready now (else it is halted). */
  #live(slot: WorkerSlot): Ticker | null {
    const ticker = this.#tickers[slot.index];
    if (slot.state === "running" && this.#handles.has(slot)) return ticker;
    ticker.halt(); // the worker died, was replaced or stopped meanwhile
    this.#handles.delete(slot);
    return null;
  }

  #send(slot: WorkerSlot, tick: Tick): void {
    if (this.#live(slot) !== null) {
      this.#handles.get(slot)?.post({
        type: "tick",
        id: tick.id,
        due: tick.due,
        ...(tick.triggered ? { triggered: true } : {}),
      });
    }
  }

  #logSkip(slot: WorkerSlot, tick: Tick): void {
    const first = !this.#warned.has(slot);
    this.#warned.add(slot);
    logEnding(
      slot,
      first ? "warning" : "debug",
      `tick of ${iso(tick.due)} skipped: the previous call still runs (overlap=${this.overlap})` +
        (first ? "; evrexec.list counts the skipped ticks" : ""),
    );
  }

  /**
   * Follows a message of `slot`'s worker `handle`: `entered` starts its
   * ticks, `ended` stops them, tick messages update the figures.
   */
  heard(slot: WorkerSlot, handle: WorkerHandle, message: WorkerToHost): void {
    const ticker = this.#tickers[slot.index];
    if (message.type === "entered") {
      this.#handles.set(slot, handle);
      this.#warned.delete(slot);
      return this.#external ? ticker.activate() : ticker.begin();
    }
    if (this.#handles.get(slot) !== handle) return; // an old worker, replaced already
    if (message.type === "ended") {
      ticker.halt();
      this.#handles.delete(slot);
      this.#endFire(slot, { ok: false, error: "the worker ended during the fire" });
    } else if (message.type === "tick-started") {
      ticker.started(message.id);
    } else if (message.type === "tick-ended") {
      const tick = ticker.ended(message.id, message.ran, message.ms, message.error !== undefined);
      if (tick !== null && message.ran) this.#lastDurationMs = message.ms;
      if (tick !== null) {
        this.#endFire(
          slot,
          !message.ran
            ? { ok: false, error: "the worker is stopping" }
            : message.error !== undefined
            ? { ok: false, error: message.error.message.slice(0, 1000) }
            : { ok: true },
        );
      }
      if (tick !== null && message.error !== undefined) {
        logEnding(
          slot,
          "error",
          `tick of ${iso(tick.due)} failed: ${errorStack(message.error)}`,
          message.error,
        );
      }
    }
  }

  /**
   * Runs one tick now on every worker (or worker `index`), under the overlap
   * rule; resolves once each tick has started, was queued or skipped.
   */
  async trigger(index?: number): Promise<{ index: number; tick: TickOutcome }[]> {
    const slots = index === undefined ? this.#slots : [this.#slots[index]];
    return await Promise.all(slots.map(async (slot) => ({
      index: slot.index,
      tick: await this.#started(slot, this.#live(slot)?.trigger()),
    })));
  }

  /** Waits for a triggered tick to start, or for its worker to be gone (it never answers then). */
  async #started(slot: WorkerSlot, outcome?: Promise<TickOutcome>): Promise<TickOutcome> {
    while (outcome !== undefined) {
      const known = await settlesWithin(outcome, LIVENESS_POLL_MS);
      if (known || this.#live(slot) === null) return await outcome;
    }
    return "not running";
  }

  #endFire(slot: WorkerSlot, outcome: FireOutcome): void {
    const end = this.#fireEnds.get(slot);
    this.#fireEnds.delete(slot);
    end?.(outcome);
  }

  /**
   * Runs one fleet fire: one tick on the first worker that is ready (waiting
   * up to 10 s for one), and resolves when its call ended, with how.
   */
  async fire(): Promise<FireOutcome> {
    const until = performance.now() + FIRE_READY_MS;
    let slot = this.#slots.find((each) => this.#live(each) !== null);
    while (slot === undefined && performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, FIRE_READY_POLL_MS));
      slot = this.#slots.find((each) => this.#live(each) !== null);
    }
    if (slot === undefined) return { ok: false, error: "no worker of the task is ready" };
    const ended = new Promise<FireOutcome>((resolve) => this.#fireEnds.set(slot, resolve));
    const started = await this.#started(slot, this.#live(slot)?.trigger());
    if (started !== "started") {
      this.#fireEnds.delete(slot);
      return { ok: false, error: `the tick was not run (${started})` };
    }
    return await ended;
  }

  /** Stops every worker's ticks for good: the host is stopping. */
  halt(): void {
    for (const slot of this.#slots) {
      this.#tickers[slot.index].halt();
      this.#handles.delete(slot);
      this.#endFire(slot, { ok: false, error: "the task stopped" });
    }
  }

  /** The schedule and its figures, for `evrexec.list`. */
  info(): ScheduleInfo {
    const rows = this.#slots.map((slot) => {
      const live = this.#live(slot) !== null;
      return { slot, counts: this.#tickers[slot.index].counts(), live };
    });
    const all = rows.map((row) => row.counts);
    const times = (pick: (c: TickCounts) => number | null) =>
      all.map(pick).filter((t): t is number => t !== null);
    const next = times((c) => c.nextRun);
    const last = times((c) => c.lastRun);
    return {
      schedule: this.schedule.text,
      overlap: this.overlap,
      next_run: next.length ? iso(Math.min(...next)) : null,
      last_run: last.length ? iso(Math.max(...last)) : null,
      last_duration_ms: tenths(this.#lastDurationMs),
      runs: all.reduce((sum, c) => sum + c.runs, 0),
      errors: all.reduce((sum, c) => sum + c.errors, 0),
      skipped: all.reduce((sum, c) => sum + c.skipped, 0),
      ticks: rows.map(({ slot, counts, live }) => ({
        index: slot.index,
        next_run: iso(counts.nextRun),
        last_run: iso(counts.lastRun),
        last_duration_ms: tenths(counts.lastDurationMs),
        runs: counts.runs,
        errors: counts.errors,
        skipped: counts.skipped,
        in_tick: live && counts.inTick,
      })),
    };
  }
}
