/**
 * Reading a documented environment variable. Without Deno's permission to
 * read it (no `--allow-env`, or an `--allow-env=…` list without it) the
 * reader throws a {@link ConfigError} naming the variable: a variable the
 * docs promise is never skipped in silence (for `EVREXEC_SOCKET` that would
 * mean serving on, or calling, a shared default path instead).
 *
 * @module
 */

import { ConfigError } from "./errors.ts";

/**
 * The value of the environment variable `name`, or undefined when it is
 * unset or empty.
 *
 * @param name The variable's name.
 * @param instead What the user may do instead of granting the permission (for the error).
 * @returns Its value; undefined when unset or empty.
 * @throws {ConfigError} When Deno may not read it (no `--allow-env` for it).
 */
export function readEnv(name: string, instead?: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch (error) {
    if (
      !(error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied)
    ) {
      throw error;
    }
    throw new ConfigError(
      `cannot read the environment variable ${name}: Deno was not given --allow-env for it ` +
        `(run with --allow-env or --allow-env=${name}${instead ? `, or ${instead}` : ""})`,
    );
  }
}
