/**
 * Builds a `KSR` object over a small host interface: the worker passes one
 * that sends log records to the host, the fallback one writes to the console.
 *
 * @module
 */

import { createPv } from "./pv.ts";
import { readDuration, sleepUntilAborted } from "./sleep.ts";
import type { EvrValues, Ksr, KsrLogLevel } from "./types.ts";

/** The levels a KSR record is written at, keyed by KSR's own level names. */
export const KSR_LEVELS = {
  dbg: "debug",
  info: "info",
  notice: "info",
  warn: "warning",
  err: "error",
  crit: "fatal",
} as const;

/** A level as the host writes it. */
export type KsrRecordLevel = typeof KSR_LEVELS[KsrLogLevel];

/** What a `KSR` object needs from whoever hosts it. */
export interface KsrHost {
  /**
   * Writes one log record.
   *
   * @param level The level the host writes it at.
   * @param message Its text.
   */
  log(level: KsrRecordLevel, message: string): void;
  /** The current call's `$evr` values; the host updates them in place. */
  readonly evr: EvrValues;
  /** Aborted when the host stops. */
  readonly shutdown: AbortSignal;
  /** Called each time the script reads `KSR.shutdown`. */
  readonly shutdownRead?: () => void;
}

/**
 * Creates a `KSR` object.
 *
 * @param host Where its records go, its `$evr` values and its stop signal.
 * @returns The `KSR` object.
 */
export function createKsr(host: KsrHost): Ksr {
  const log = (level: KsrLogLevel, message: unknown) => {
    const to = KSR_LEVELS[level];
    if (to === undefined) {
      throw new Error(
        `KSR.log: unknown level ${JSON.stringify(level)} (expected ${
          Object.keys(KSR_LEVELS).join(", ")
        })`,
      );
    }
    host.log(to, String(message));
  };
  return {
    dbg: (message) => log("dbg", message),
    info: (message) => log("info", message),
    notice: (message) => log("notice", message),
    warn: (message) => log("warn", message),
    err: (message) => log("err", message),
    crit: (message) => log("crit", message),
    log,
    pv: createPv(host.evr),
    sleep: (seconds) => sleepUntilAborted(readDuration("sleep", seconds, 1000), host.shutdown),
    usleep: (microseconds) =>
      sleepUntilAborted(readDuration("usleep", microseconds, 0.001), host.shutdown),
    get shutdown() {
      host.shutdownRead?.();
      return host.shutdown;
    },
  };
}

/**
 * Fresh `$evr` values: no data, no source address.
 *
 * @returns Values to update in place for each call.
 */
export function emptyEvr(): EvrValues {
  return { data: "", srcip: null, srcport: null, srcportno: null };
}
