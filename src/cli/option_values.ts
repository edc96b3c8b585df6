/**
 * Readers of command-line values, each with its default when the option is
 * not given: bounded integers, octal modes, one-of choices. Each throws a
 * {@link ConfigError} naming the option.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { readChoice, readInteger } from "../base/values.ts";
import type { RawValue } from "./option_spec.ts";
import { clipText, quoteValue } from "../shared/quote.ts";
import { messageOf } from "../shared/error_text.ts";

/** The most of a `parseArgs` message an error repeats (it quotes the option as given). */
const MAX_PARSE_MESSAGE_CHARS = 300;

/** Reads an integer option within `[min, max]`; `fallback` when not given. */
export function intOption(
  flag: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  return value === undefined ? fallback : readInteger(flag, value.trim(), min, max);
}

/** Reads a file mode in octal (`600`, `0660`); `fallback` when not given. */
export function modeOption(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^0?[0-7]{3}$/.test(value.trim())) {
    throw new ConfigError(
      `${flag} must be an octal file mode such as 0600, got ${quoteValue(value)}`,
    );
  }
  return parseInt(value.trim(), 8);
}

/** Reads an option that must be one of `choices`; `fallback` when not given. */
export function choiceOption<T extends string>(
  flag: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  return value === undefined ? fallback : readChoice(flag, value, choices);
}

/**
 * Runs `parseArgs`-style parsing and turns its errors (unknown option,
 * missing value) into one-line {@link ConfigError}s.
 */
export function parsingArgs<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const code = (error as { code?: string }).code;
    // parseArgs' own Error, whose message quotes the option whole, however long.
    const full = error instanceof Error ? error.message : messageOf(error);
    const message = clipText(full.split("\n")[0], MAX_PARSE_MESSAGE_CHARS);
    const quoted = /'([^']+)'/.exec(full)?.[1];
    const found = quoted?.match(/--[^ ]+/)?.[0] ?? quoted;
    const option = found === undefined ? undefined : clipText(found);
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      throw new ConfigError(`unknown option ${option ?? message} (see --help)`);
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      if (message.includes("does not take an argument")) {
        throw new ConfigError(`${option ?? "an option"} takes no value (see --help)`);
      }
      throw new ConfigError(`${option ?? "an option"} needs a value (see --help)`);
    }
    throw new ConfigError(`${message} (see --help)`);
  }
}

/** A raw value's text; undefined for a switch, a list or nothing. */
export function text(value: RawValue): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A reader of an integer option from `min` to `max`, `fallback()` when not given. */
export function integer(fallback: () => number, min: number, max: number) {
  return (value: RawValue, label: string) => intOption(label, text(value), fallback(), min, max);
}
