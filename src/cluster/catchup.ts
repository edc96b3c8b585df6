/**
 * Catch-up: which fires a fleet-wide schedule missed while no host ran it
 * (all hosts stopped, the database away), given the last fire recorded and
 * the time now on the database's clock. `catchup=skip` runs none of them,
 * `once` the latest, `all` each of them in order; only fires within
 * `catchup_window` of now count.
 *
 * @module
 */

import type { FireTimes } from "./fire_times.ts";

/** What a schedule does about fires missed while no host ran it. */
export type CatchUp = "skip" | "once" | "all";
/** The catch-up rules, as the spec spells them; the first is the default. */
export const CATCHUPS: readonly CatchUp[] = ["skip", "once", "all"];

/** The most missed fires run by `catchup=all` (the latest ones are kept). */
export const MAX_CATCHUP_FIRES = 1000;
/**
 * The most cron fire times looked at in one computation (a look-up costs tens
 * of µs; a cron fires at most once a second, so this covers a window of 27 h
 * at the finest cron, beyond which the oldest fires of the window are found).
 */
export const MAX_SCANNED_FIRES = 100_000;

/** A schedule's catch-up rule. */
export interface CatchUpPolicy {
  /** skip, once or all. */
  readonly mode: CatchUp;
  /** Only fires at most this old (ms before now) are caught up. */
  readonly windowMs: number;
}

/**
 * The missed fires to run now, oldest first: the fire times after `last`
 * (the latest recorded fire; null when the task never fired, and then none
 * was missed), at or before `now`, and within the window.
 */
export function missedFires(
  times: FireTimes,
  last: number | null,
  now: number,
  policy: CatchUpPolicy,
  max = MAX_CATCHUP_FIRES,
): number[] {
  if (last === null || policy.mode === "skip" || max < 1) return [];
  const keep = policy.mode === "once" ? 1 : max;
  // Fires at or after (now - window): start strictly after the later of `last` and that edge.
  const from = Math.max(last, now - policy.windowMs - 1);
  const found: number[] = [];
  if (times.periodMs !== undefined) {
    // Multiples of the period: the latest `keep` of them, counted, not walked.
    const period = times.periodMs;
    const first = times.after(from)!;
    const latest = Math.floor(now / period) * period;
    for (let at = Math.max(first, latest - (keep - 1) * period); at <= latest; at += period) {
      found.push(at);
    }
    return found;
  }
  let at = times.after(from);
  for (let scanned = 0; at !== null && at <= now && scanned < MAX_SCANNED_FIRES; scanned++) {
    found.push(at);
    if (found.length > keep) found.shift();
    at = times.after(at);
  }
  return found;
}

/**
 * The next fire to wait for: the first fire time after both `last` (the
 * latest recorded) and `now`, so that no fire is claimed twice and none is run
 * early. Null when the schedule has no more fires.
 */
export function nextFire(times: FireTimes, last: number | null, now: number): number | null {
  return times.after(last === null ? now : Math.max(last, now));
}
