/**
 * A timer task's schedule (`every=`, or `cron=` with `tz=`): read from the
 * spec, and asked when each tick is due on a clock the caller reads.
 *
 * @module
 */

import { Cron } from "croner";
import { ConfigError } from "../base/errors.ts";
import { readChoice, readInteger } from "../base/values.ts";
import { quoteValue } from "../shared/quote.ts";
import { atKey, SpecKeyError } from "./spec_items.ts";

/** What happens to a tick that falls while the previous call still runs. */
export type Overlap = "skip" | "queue";
/** The overlap rules, as the spec spells them; the first is the default. */
export const OVERLAPS: readonly Overlap[] = ["skip", "queue"];

/** Milliseconds per unit of `every=`. */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** The longest `every=`: one day (longer periods read better as a `cron=`). */
const MAX_EVERY_MS = 86_400_000;
/**
 * Missed cron ticks counted one by one after a stall or a clock step (each
 * costs a croner look-up); past this many, the count stops and the latest is found at once.
 */
const MAX_COUNTED = 100;

/** When the tick after a previous one is due, and how many due ticks were passed over. */
export interface NextTick {
  /** When it is due, on the schedule's clock; null when the schedule has no more ticks. */
  readonly at: number | null;
  /** Ticks that fell between the previous one and `now`, and are dropped. */
  readonly missed: number;
}

/** A schedule: when ticks are due, on one clock. */
export interface Schedule {
  /** The schedule as `evrexec.list` shows it: `every=300ms`, `cron=0 30 2 * * * tz=Europe/Berlin`. */
  readonly text: string;
  /**
   * The clock its times are on: `monotonic` (milliseconds, never stepped, as
   * `performance.now()`) or `wall` (milliseconds since the epoch, as `Date.now()`).
   */
  readonly clock: "monotonic" | "wall";
  /**
   * The first tick of a schedule that starts now.
   *
   * @param now The time the schedule starts, on its clock.
   * @returns When the first tick after `now` is due; null if there is none.
   */
  first(now: number): number | null;
  /**
   * The tick after the one due at `previous`. When the host fell behind,
   * it is the latest one due at or before `now` (so it starts at once) and
   * the ones before it are counted as missed.
   *
   * @param previous When the previous tick was due, on the schedule's clock.
   * @param now The time now, on the schedule's clock.
   * @returns When the next tick is due, and how many due ticks were passed over.
   */
  next(previous: number, now: number): NextTick;
}

/** `every=`: ticks at start + k × period on the monotonic clock, whatever each call took. */
export class EverySchedule implements Schedule {
  /** The schedule as the spec gave it. */
  readonly text: string;
  /** Always the monotonic clock, so that a step of the wall clock changes nothing. */
  readonly clock = "monotonic";

  /** A schedule with a tick every `periodMs` milliseconds. */
  constructor(readonly periodMs: number, text: string) {
    this.text = `every=${text}`;
  }

  /** Start + one period. */
  first(now: number): number {
    return now + this.periodMs;
  }

  /** Start + k × period for the next k; late ticks beyond the latest are missed. */
  next(previous: number, now: number): NextTick {
    const k = Math.max(1, Math.floor((now - previous) / this.periodMs));
    return { at: previous + k * this.periodMs, missed: k - 1 };
  }
}

/** `cron=`: the times its expression matches in its zone, on the wall clock, through croner. */
export class CronSchedule implements Schedule {
  /** The expression and its zone. */
  readonly text: string;
  /** Cron times are wall-clock times. */
  readonly clock = "wall";
  #cron: Cron;

  /** A schedule for `expression` in IANA zone `zone`; throws a ConfigError if it is bad. */
  constructor(readonly expression: string, readonly zone: string) {
    this.text = `cron=${expression} tz=${zone}`;
    try {
      this.#cron = new Cron(expression, { timezone: zone, mode: "5-or-6-parts" });
    } catch (error) {
      const problem = (error as Error).message.replace(/^CronPattern: /, "");
      throw new ConfigError(`cron ${quoteValue(expression)}: ${problem}`);
    }
  }

  #after(time: number): number | null {
    return this.#cron.nextRun(new Date(time))?.getTime() ?? null;
  }

  /** The first match strictly after `now`. */
  first(now: number): number | null {
    return this.#after(now);
  }

  /** The first match after `previous`, or the latest one at or before `now`. */
  next(previous: number, now: number): NextTick {
    let at = this.#after(previous);
    let missed = 0;
    while (at !== null && at <= now) {
      const following = this.#after(at);
      if (following === null || following > now) break;
      if (++missed === MAX_COUNTED) {
        at = this.#cron.previousRuns(1, new Date(now + 1))[0]?.getTime() ?? following;
        break;
      }
      at = following;
    }
    return { at, missed };
  }
}

/** Reads `every=` (`500ms`, `10s`, `5m`, `1h`): a whole number of at least 1 with a unit. */
export function parseEvery(text: string): EverySchedule {
  const match = /^([0-9]+)(ms|s|m|h)$/.exec(text);
  if (match === null) {
    throw new ConfigError(
      `every must be a whole number with a unit ms, s, m or h (as 500ms or 10s), ` +
        `got ${quoteValue(text)}`,
    );
  }
  const unit = UNIT_MS[match[2]];
  const n = readInteger("every", match[1], 1, MAX_EVERY_MS / unit, ` (${match[2]})`);
  return new EverySchedule(n * unit, text);
}

/** The host's local time zone, as crontab uses it. */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** Reads `tz=`: an IANA zone known to this Deno, in its canonical spelling. */
export function parseZone(text: string): string {
  let zone: string | undefined;
  try {
    zone = new Intl.DateTimeFormat("en-US", { timeZone: text }).resolvedOptions().timeZone;
  } catch {
    zone = undefined;
  }
  if (zone === undefined || /^[+-]/.test(zone)) {
    throw new ConfigError(
      `tz must be an IANA time zone such as Europe/Berlin or UTC, got ${quoteValue(text)}`,
    );
  }
  return zone;
}

/** Reads `cron=` (5 fields, or 6 with seconds first) in zone `tz` (default: local). */
export function parseCron(expression: string, tz: string | undefined): CronSchedule {
  const schedule = new CronSchedule(expression, tz === undefined ? localZone() : parseZone(tz));
  if (schedule.first(Date.now()) === null) {
    throw new ConfigError(`cron ${quoteValue(expression)} never fires`);
  }
  return schedule;
}

/** The schedule keys of one spec, as given. */
export interface ScheduleKeys {
  /** `every=`, as given. */
  readonly every?: string;
  /** `cron=`, as given. */
  readonly cron?: string;
  /** `tz=`, as given. */
  readonly tz?: string;
  /** `overlap=`, as given. */
  readonly overlap?: string;
  /** True for a UDP task, which takes no schedule. */
  readonly udp: boolean;
}

/**
 * Reads a spec's schedule and overlap rule; throws a {@link SpecKeyError}
 * naming the bad key (the first of a bad pair), or a ConfigError about the
 * task as a whole.
 */
export function readSchedule(keys: ScheduleKeys): { schedule: Schedule | null; overlap: Overlap } {
  const { every, cron, tz, overlap } = keys;
  if (every !== undefined && cron !== undefined) {
    throw new SpecKeyError("every", "every and cron exclude each other: give one");
  }
  const kind = every !== undefined ? "every" : cron !== undefined ? "cron" : null;
  if (kind !== null && keys.udp) throw new ConfigError(`a sockaddr task takes no ${kind}`);
  if (tz !== undefined && cron === undefined) throw new SpecKeyError("tz", "tz needs cron");
  if (overlap !== undefined && kind === null) {
    throw new SpecKeyError("overlap", "overlap needs every or cron");
  }
  const schedule = every !== undefined
    ? atKey("every", () => parseEvery(every))
    : cron !== undefined
    ? readCron(cron, tz)
    : null;
  const rule = overlap ?? OVERLAPS[0];
  return { schedule, overlap: atKey("overlap", () => readChoice("overlap", rule, OVERLAPS)) };
}

/** `cron=` in zone `tz=`: a bad zone is about `tz`, anything else about `cron`. */
function readCron(cron: string, tz: string | undefined): CronSchedule {
  const zone = tz === undefined ? undefined : atKey("tz", () => parseZone(tz));
  return atKey("cron", () => parseCron(cron, zone));
}
