/**
 * Errors the host distinguishes by exit code.
 *
 * @module
 */

/** Exit code after a normal shutdown. */
export const EXIT_OK = 0;
/** Exit code for anything fatal that is not the user's configuration. */
export const EXIT_FATAL = 1;
/** Exit code for every usage or configuration error. */
export const EXIT_USAGE = 2;

/**
 * An error the user caused through the command line, an exec spec or the
 * script: printed as one line, exit code 2, no stack trace.
 */
export class ConfigError extends Error {
  /**
   * Creates the error.
   *
   * @param message What was wrong and what was expected, in one line.
   */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * A condition the host cannot live on with (more workers stuck in
 * synchronous code than `--max-stuck`, memory the watchdog cannot win
 * back). The host stops its workers and reports it to its caller, which
 * decides what follows: the command line logs it and exits 1.
 */
export class FatalError extends Error {
  /**
   * Creates the error.
   *
   * @param message The condition, in one line.
   * @param exitWhy Why exiting is the way out (`before V8 aborts the process`).
   */
  constructor(message: string, readonly exitWhy: string) {
    super(message);
    this.name = "FatalError";
  }
}
