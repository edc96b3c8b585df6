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
  /** Creates the error with its one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}
