/**
 * The exec spec's fleet keys (issue 23): `singleton=cluster` (one host of the
 * fleet runs the task's workers), `lease=DURATION` (how long a vanished holder
 * keeps the task), and for a scheduled singleton `catchup=skip|once|all` with
 * `catchup_window=DURATION` (what it does about fires missed while no host ran
 * it). Read here, on the config floor; `src/cluster/` acts on them.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { readChoice } from "../base/values.ts";
import { quoteValue } from "../shared/quote.ts";
import { FLEET_DEFAULTS } from "./defaults.ts";
import { atKey, SpecKeyError } from "./spec_items.ts";

/** What a scheduled singleton does about fires missed while no host ran it. */
export type CatchUpMode = "skip" | "once" | "all";
/** The catch-up rules, as the spec spells them; the first is the default. */
export const CATCHUP_MODES: readonly CatchUpMode[] = ["skip", "once", "all"];

/** Milliseconds per unit of a duration. */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** The shortest lease: a holder renews every third and stops a fifth before it runs out. */
export const MIN_LEASE_MS = 1_000;
/** The longest lease: one hour. */
export const MAX_LEASE_MS = 3_600_000;
/** The longest catch-up window: seven days. */
export const MAX_CATCHUP_WINDOW_MS = 7 * 86_400_000;

/** A task's fleet keys, defaults applied; on an `ExecTask` only when `singleton=cluster`. */
export interface FleetTaskSpec {
  /** `singleton=cluster`. */
  readonly singleton: "cluster";
  /** `lease=`, ms. */
  readonly leaseMs: number;
  /** `catchup=`. */
  readonly catchUp: CatchUpMode;
  /** `catchup_window=`, ms. */
  readonly catchUpWindowMs: number;
}

/** The fleet keys of an exec spec as given (unset: not given). */
export interface FleetKeys {
  /** `singleton=`. */
  readonly singleton?: string;
  /** `lease=`. */
  readonly lease?: string;
  /** `catchup=`. */
  readonly catchup?: string;
  /** `catchup_window=`. */
  readonly catchupWindow?: string;
  /** True when the task has `every=` or `cron=`. */
  readonly scheduled: boolean;
  /** True when the task has `sockaddr=`. */
  readonly udp: boolean;
}

/**
 * Reads a duration such as `500ms`, `10s`, `5m`, `1h` within `[min, max]` ms.
 *
 * @throws {ConfigError} naming `label` otherwise.
 */
export function readDuration(label: string, text: string, min: number, max: number): number {
  const match = /^([0-9]{1,12})(ms|s|m|h)$/.exec(text);
  if (match === null) {
    throw new ConfigError(
      `${label} must be a whole number with a unit ms, s, m or h (as 500ms or 10s), ` +
        `got ${quoteValue(text)}`,
    );
  }
  const ms = Number(match[1]) * UNIT_MS[match[2]];
  if (!(ms >= min && ms <= max)) {
    throw new ConfigError(
      `${label} must be from ${min} ms to ${max} ms, got ${quoteValue(text)}`,
    );
  }
  return ms;
}

/**
 * Reads the fleet keys: null when the task is not a singleton (then no other
 * fleet key may be given).
 *
 * @throws {SpecKeyError} naming the bad key.
 */
export function readFleetKeys(keys: FleetKeys): FleetTaskSpec | null {
  if (keys.singleton === undefined) {
    const stray = keys.lease !== undefined
      ? "lease"
      : keys.catchup !== undefined
      ? "catchup"
      : keys.catchupWindow !== undefined
      ? "catchup_window"
      : null;
    if (stray !== null) throw new SpecKeyError(stray, `${stray} needs singleton=cluster`);
    return null;
  }
  atKey("singleton", () => readChoice("singleton", keys.singleton!, ["cluster"]));
  if (keys.udp) throw new SpecKeyError("singleton", "a sockaddr task cannot be a singleton");
  if (!keys.scheduled) {
    const stray = keys.catchup !== undefined
      ? "catchup"
      : keys.catchupWindow !== undefined
      ? "catchup_window"
      : null;
    if (stray !== null) throw new SpecKeyError(stray, `${stray} needs every= or cron=`);
  }
  const leaseMs = keys.lease === undefined
    ? FLEET_DEFAULTS.leaseMs
    : atKey("lease", () => readDuration("lease", keys.lease!, MIN_LEASE_MS, MAX_LEASE_MS));
  const catchUp = keys.catchup === undefined
    ? FLEET_DEFAULTS.catchUp
    : atKey("catchup", () => readChoice("catchup", keys.catchup!, CATCHUP_MODES));
  const catchUpWindowMs = keys.catchupWindow === undefined ? FLEET_DEFAULTS.catchUpWindowMs : atKey(
    "catchup_window",
    () => readDuration("catchup_window", keys.catchupWindow!, 1, MAX_CATCHUP_WINDOW_MS),
  );
  return { singleton: "cluster", leaseMs, catchUp, catchUpWindowMs };
}
