/**
 * The fire times of a schedule as the fleet shares them: times on one clock
 * (the database's, in ms since the epoch) that every host computes alike, so
 * that a fire is one key, (task, time), whoever holds the task. `every=P`
 * fires at the multiples of P since the epoch (a single host's `every` counts
 * from its own start instead; that cannot be shared); `cron=` fires at its
 * expression's times in its zone.
 *
 * @module
 */

import { EverySchedule, type Schedule } from "../config/schedule.ts";

/** The fire times of one schedule. */
export interface FireTimes {
  /** The schedule, as `evrexec.list` shows it. */
  readonly text: string;
  /** The first fire time strictly after `time` (ms since the epoch), or null when none is left. */
  after(time: number): number | null;
  /** For `every=`: the period, so that fires can be counted without walking through them. */
  readonly periodMs?: number;
}

/** Fire times aligned to multiples of `periodMs` since the epoch. */
export function everyFireTimes(periodMs: number, text = `every=${periodMs}ms`): FireTimes {
  if (!(periodMs >= 1) || !Number.isInteger(periodMs)) {
    throw new RangeError(`a period must be a whole number of ms, got ${periodMs}`);
  }
  return { text, periodMs, after: (time) => (Math.floor(time / periodMs) + 1) * periodMs };
}

/** The fleet's fire times of `schedule` (an `every=` or `cron=` of src/config/schedule.ts). */
export function fleetFireTimes(schedule: Schedule): FireTimes {
  if (schedule instanceof EverySchedule) return everyFireTimes(schedule.periodMs, schedule.text);
  // A cron schedule's first(now) is already the first match strictly after now.
  return { text: schedule.text, after: (time) => schedule.first(time) };
}
