/**
 * The readers of values that users type, shared by the command line and the
 * exec spec: a whole number within bounds, one word of a list. Each throws a
 * {@link ConfigError} that names the value and says what was expected.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import { quoteValue } from "../shared/quote.ts";

/**
 * Reads `text` as a whole number within `[min, max]`; throws naming `label`
 * (and `unit`, e.g. `" (ms)"`) otherwise.
 */
export function readInteger(
  label: string,
  text: string,
  min: number,
  max: number,
  unit = "",
): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    throw new ConfigError(
      `${label} must be an integer from ${min} to ${max}${unit}, got ${quoteValue(text)}`,
    );
  }
  return n;
}

/** Reads `text` as one of `choices`; throws naming `label` otherwise. */
export function readChoice<T extends string>(
  label: string,
  text: string,
  choices: readonly T[],
): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new ConfigError(
      `${label} must be one of ${choices.join(", ")}, got ${quoteValue(text)}`,
    );
  }
  return text as T;
}
