/**
 * The types a KEMI script sees: the `KSR` object and its parts.
 *
 * @module
 */

/** The levels of `KSR.log`, as Kamailio names them. */
export type KsrLogLevel = "dbg" | "info" | "notice" | "warn" | "err" | "crit";

/** A pseudo-variable's value: a string, an integer, or null when unset. */
export type PvValue = string | number | null;

/** `KSR.pv`: read and write pseudo-variables (`$evr(...)`, `$var(...)`). */
export interface KsrPv {
  /** The value of a pseudo-variable, or null when it has none. */
  get(name: string): PvValue;
  /** Like `get`, but an empty string instead of null. */
  gete(name: string): string | number;
  /** True when the pseudo-variable has no value. */
  is_null(name: string): boolean;
  /** Sets a `$var(name)` to a string. */
  sets(name: string, value: string): void;
  /** Sets a `$var(name)` to an integer. */
  seti(name: string, value: number): void;
  /** Removes the value of a `$var(name)`. */
  unset(name: string): void;
}

/** The `KSR` object: logging, pseudo-variables and the host's stop signal. */
export interface Ksr {
  /** Logs at debug level. */
  dbg(message: unknown): void;
  /** Logs at info level. */
  info(message: unknown): void;
  /** Logs at notice level (written as info). */
  notice(message: unknown): void;
  /** Logs at warning level. */
  warn(message: unknown): void;
  /** Logs at error level. */
  err(message: unknown): void;
  /** Logs at critical level (written as fatal). */
  crit(message: unknown): void;
  /** Logs at a level named as Kamailio names it (`"info"`, `"err"`, …). */
  log(level: KsrLogLevel, message: unknown): void;
  /** Pseudo-variables. */
  readonly pv: KsrPv;
  /**
   * Aborted when the host is stopping: a long-running loop can check
   * `KSR.shutdown.aborted` or listen for its `abort` event to end cleanly.
   */
  readonly shutdown: AbortSignal;
}

/** The `$evr(...)` values of the current call. */
export interface EvrValues {
  /** The RPC data or datagram text; empty in exec workers. */
  data: string;
  /** Source address of a UDP datagram; null otherwise. */
  srcip: string | null;
  /** Source port of a UDP datagram, as text; null otherwise. */
  srcport: string | null;
  /** Source port of a UDP datagram, as a number; null otherwise. */
  srcportno: number | null;
}
