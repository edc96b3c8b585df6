/**
 * Readers of command-line values: bounded integers, octal modes, one-of
 * choices. Each gives undefined when the option is not given (its default
 * applies later, from `config/defaults.ts`) and throws a
 * {@link ConfigError} naming the option when its value is wrong.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { readChoice, readInteger } from "../base/values.ts";
import { quoteValue } from "../shared/quote.ts";

/** A value as the command line gives it (integers as their text), or as the file's is turned into. */
export type RawValue = string | boolean | readonly string[] | undefined;
/** Every option's raw value, by long name. */
export type RawValues = Readonly<Record<string, RawValue>>;

/** Reads an integer option within `[min, max]`; undefined when not given. */
export function intOption(
  flag: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  return value === undefined ? undefined : readInteger(flag, value.trim(), min, max);
}

/** Reads a file mode in octal (`600`, `0660`); undefined when not given. */
export function modeOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^0?[0-7]{3}$/.test(value.trim())) {
    throw new ConfigError(
      `${flag} must be an octal file mode such as 0600, got ${quoteValue(value)}`,
    );
  }
  return parseInt(value.trim(), 8);
}

/** Reads an option that must be one of `choices`; undefined when not given. */
export function choiceOption<T extends string>(
  flag: string,
  value: string | undefined,
  choices: readonly T[],
): T | undefined {
  return value === undefined ? undefined : readChoice(flag, value, choices);
}

/** A raw value's text; undefined for a switch, a list or nothing. */
export function text(value: RawValue): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A reader of an integer option from `min` to `max`; undefined when not given. */
export function integer(
  min: number,
  max: number,
): (value: RawValue, label: string) => number | undefined {
  return (value, label) => intOption(label, text(value), min, max);
}
