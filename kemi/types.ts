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
  /**
   * The value of a pseudo-variable.
   *
   * @param name `$evr(data)`, `$evr(srcip)`, `$evr(srcport)`, `$evr(srcportno)` or `$var(NAME)`.
   * @returns Its value, or null when it has none.
   * @throws {Error} For a pseudo-variable that is not one of those.
   */
  get(name: string): PvValue;
  /**
   * Like `get`, but an empty string instead of null.
   *
   * @param name A pseudo-variable, as `get` takes it.
   * @returns Its value, or `""` when it has none.
   * @throws {Error} For a pseudo-variable that is not supported.
   */
  gete(name: string): string | number;
  /**
   * Whether a pseudo-variable has no value.
   *
   * @param name A pseudo-variable, as `get` takes it.
   * @returns True when it has no value.
   * @throws {Error} For a pseudo-variable that is not supported.
   */
  is_null(name: string): boolean;
  /**
   * Sets a `$var(name)` to a string.
   *
   * @param name `$var(NAME)`.
   * @param value The string.
   * @throws {Error} For a `$evr(...)` (read-only) or an unsupported name.
   */
  sets(name: string, value: string): void;
  /**
   * Sets a `$var(name)` to an integer.
   *
   * @param name `$var(NAME)`.
   * @param value The integer.
   * @throws {Error} For a value that is not an integer, a `$evr(...)` or an unsupported name.
   */
  seti(name: string, value: number): void;
  /**
   * Removes the value of a `$var(name)`.
   *
   * @param name `$var(NAME)`.
   * @throws {Error} For a `$evr(...)` (read-only) or an unsupported name.
   */
  unset(name: string): void;
}

/** The `KSR` object: logging, pseudo-variables and the host's stop signal. */
export interface Ksr {
  /**
   * Logs at debug level.
   *
   * @param message What to log (turned into text).
   */
  dbg(message: unknown): void;
  /**
   * Logs at info level.
   *
   * @param message What to log (turned into text).
   */
  info(message: unknown): void;
  /**
   * Logs at notice level (written as info).
   *
   * @param message What to log (turned into text).
   */
  notice(message: unknown): void;
  /**
   * Logs at warning level.
   *
   * @param message What to log (turned into text).
   */
  warn(message: unknown): void;
  /**
   * Logs at error level.
   *
   * @param message What to log (turned into text).
   */
  err(message: unknown): void;
  /**
   * Logs at critical level (written as fatal).
   *
   * @param message What to log (turned into text).
   */
  crit(message: unknown): void;
  /**
   * Logs at a level named as Kamailio names it.
   *
   * @param level `"dbg"`, `"info"`, `"notice"`, `"warn"`, `"err"` or `"crit"`.
   * @param message What to log (turned into text).
   * @throws {Error} For a level that is not one of those.
   */
  log(level: KsrLogLevel, message: unknown): void;
  /** Pseudo-variables. */
  readonly pv: KsrPv;
  /**
   * Waits `seconds` seconds, as cfgutils' `sleep` (`sleep("600")` is ten
   * minutes), without blocking the worker: await it.
   *
   * @param seconds A non-negative whole number, or its text; at most 2147483.
   * @returns A promise that resolves after the wait, or rejects with an
   *   `AbortError` as soon as the host stops ({@link Ksr.shutdown}).
   * @throws {TypeError} For a value that is not a whole number or its text.
   * @throws {RangeError} For a wait over about 24.8 days.
   */
  sleep(seconds: number | string): Promise<void>;
  /**
   * Waits `microseconds` microseconds, as cfgutils' `usleep`; timers have
   * millisecond grain, so the wait is rounded by them.
   *
   * @param microseconds A non-negative whole number, or its text.
   * @returns A promise that resolves after the wait, or rejects with an
   *   `AbortError` as soon as the host stops.
   * @throws {TypeError} For a value that is not a whole number or its text.
   * @throws {RangeError} For a wait over about 24.8 days.
   */
  usleep(microseconds: number | string): Promise<void>;
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
