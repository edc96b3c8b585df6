/**
 * Params typed on the command line as kamcli types them: `i:5` a number,
 * `s:5` a string, `j:{...}` JSON; anything else is a string.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";

/** Reads one command-line param; throws a {@link ConfigError} on a bad `i:` or `j:` value. */
export function typedParam(text: string): unknown {
  if (text.startsWith("s:")) return text.slice(2);
  if (text.startsWith("i:")) {
    const number = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(text.slice(2))
      ? Number(text.slice(2))
      : NaN;
    if (!Number.isFinite(number)) {
      throw new ConfigError(`param ${JSON.stringify(text)}: i: must be followed by a number`);
    }
    return number;
  }
  if (text.startsWith("j:")) {
    try {
      return JSON.parse(text.slice(2));
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new ConfigError(`param ${JSON.stringify(text)}: j: must be followed by JSON (${why})`);
    }
  }
  return text;
}
