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
import { quoteValue } from "../shared/quote.ts";

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

/** A raw value's text; undefined for a switch, a list or nothing. */
export function text(value: RawValue): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A reader of an integer option from `min` to `max`, `fallback()` when not given. */
export function integer(fallback: () => number, min: number, max: number) {
  return (value: RawValue, label: string) => intOption(label, text(value), fallback(), min, max);
}
