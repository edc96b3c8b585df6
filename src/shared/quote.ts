/**
 * User values quoted in messages, with a bound: an error that quotes a bad
 * value shows at most {@link MAX_QUOTED_CHARS} characters of it and says how
 * many more there were, so a 50 MB value gives one short line, not a 50 MB one.
 *
 * @module
 */

/** The most characters of a value a message quotes. */
export const MAX_QUOTED_CHARS = 100;

/** The first `max` characters of `text`, never half a surrogate pair. */
function head(text: string, max: number): string {
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/** How many characters were left out, as a note after a cut value. */
function rest(text: string, kept: string): string {
  return `… (${text.length - kept.length} more characters)`;
}

/** `text` as it is when short; else its first `max` characters and a note of how many more. */
export function clipText(text: string, max = MAX_QUOTED_CHARS): string {
  if (text.length <= max) return text;
  const kept = head(text, max);
  return kept + rest(text, kept);
}

/**
 * A value quoted for a message: a string in JSON's double quotes (escapes
 * make control characters visible), anything else in its JSON form; cut
 * after `max` characters with a note of how many more there were, as in
 * `"xxxx"… (52428700 more characters)`. Never throws.
 *
 * @example
 * ```ts
 * import { quoteValue } from "./quote.ts";
 * quoteValue("debgu"); // "\"debgu\""
 * quoteValue("x".repeat(1e6)); // 100 x in quotes, then … (999900 more characters)
 * ```
 */
export function quoteValue(value: unknown, max = MAX_QUOTED_CHARS): string {
  if (typeof value === "string") {
    if (value.length <= max) return JSON.stringify(value);
    const kept = head(value, max);
    return JSON.stringify(kept) + rest(value, kept);
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    try {
      text = String(value);
    } catch {
      text = `a value of type ${typeof value}`;
    }
  }
  return clipText(text, max);
}
