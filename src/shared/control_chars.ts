/**
 * Control characters made visible, so that text from data (what a script
 * logs, an error it throws, a name a caller sends) can neither break a log
 * record into two lines nor drive a terminal: the C0 controls (tab, CR and LF
 * included), DEL, the C1 controls (8-bit CSI and OSC among them), the line and
 * paragraph separators U+2028/U+2029, and the bidirectional embedding,
 * override and isolate controls (which reorder what a terminal shows).
 *
 * @module
 */

/** One character that {@link escapeControls} escapes. */
// deno-lint-ignore no-control-regex -- control characters are what it finds
export const CONTROL_CHAR: RegExp = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const CONTROL_CHARS = new RegExp(CONTROL_CHAR.source, "g");
/** The same without line feed and tab. */
const CONTROL_CHARS_BUT_LINES = new RegExp(
  CONTROL_CHAR.source.replace("\\x00-\\x1f", "\\x00-\\x08\\x0b-\\x1f"),
  "g",
);

/** Options of {@link escapeControls}. */
export interface EscapeOptions {
  /** Keep line feeds and tabs (text of many lines for people); default false: one line. */
  readonly keepLines?: boolean;
}

/** The characters `JSON.stringify` leaves raw that {@link escapeJsonControls} escapes. */
const JSON_RAW_CONTROLS = /[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const SHORT: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeOne(char: string): string {
  const short = SHORT[char];
  if (short !== undefined) return short;
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `text` with every control character written as an escape (`\n`, `\r`,
 * `\t`, `\x1b`, `\x9b`, `\u2028`): the result is one line that a terminal
 * shows as it is (or, with `keepLines`, lines with their tabs). Other
 * characters, backslashes included, are kept.
 *
 * @example
 * ```ts
 * import { escapeControls } from "./control_chars.ts";
 * escapeControls("a\nb\x1b[2J"); // "a\\nb\\x1b[2J"
 * ```
 */
export function escapeControls(text: string, options: EscapeOptions = {}): string {
  if (!CONTROL_CHAR.test(text)) return text;
  return text.replace(options.keepLines ? CONTROL_CHARS_BUT_LINES : CONTROL_CHARS, escapeOne);
}

/**
 * JSON text with the characters `JSON.stringify` leaves raw (DEL, C1,
 * U+2028/2029, the bidi controls) written as `\uXXXX` escapes: the same
 * JSON value, safe to show on a terminal. These characters can only stand
 * inside strings of a JSON text, where the escape means the same.
 *
 * @example
 * ```ts
 * import { escapeJsonControls } from "./control_chars.ts";
 * escapeJsonControls(JSON.stringify("a\u2028b")); // "\"a\\u2028b\""
 * ```
 */
export function escapeJsonControls(json: string): string {
  return json.replace(
    JSON_RAW_CONTROLS,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
