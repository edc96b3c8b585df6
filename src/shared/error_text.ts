/**
 * Errors as text: any thrown value as an {@link ErrorInfo} (which crosses the
 * worker boundary), its message, one line for people, or the whole stack.
 *
 * @module
 */

import type { ErrorInfo } from "./messages.ts";
import { clipText } from "./quote.ts";

// deno-lint-ignore no-control-regex -- ANSI colour codes in Deno's messages
const ANSI = /\u001b\[[0-9;]*m/g;

/** The longest error message kept, in characters; the rest is cut with a note. */
export const MAX_MESSAGE_CHARS = 16_384;
/** The longest stack trace kept, in characters. */
export const MAX_STACK_CHARS = 32_768;
/** The longest error name kept, in characters. */
export const MAX_NAME_CHARS = 200;

/** `read()`, or undefined when it throws (a getter or a Proxy trap of the thrown value). */
function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** A property of `value` if it is a string; undefined if it is not, or reading it throws. */
function stringProperty(value: object, key: string): string | undefined {
  const found = attempt(() => (value as Record<string, unknown>)[key]);
  return typeof found === "string" ? found : undefined;
}

/** The value as text by `String()`, else a note of its type: never throws. */
function asText(value: unknown, type: string): string {
  const text = attempt(() => String(value));
  return typeof text === "string" ? text : `a thrown ${type} that cannot be shown as text`;
}

/**
 * Turns any thrown value into an {@link ErrorInfo}, whatever it is: an
 * Error, a primitive, null, a symbol, an object whose `toString` or getters
 * throw, a Proxy that throws on every trap. Never throws; each text is
 * bounded ({@link MAX_MESSAGE_CHARS}, {@link MAX_STACK_CHARS}).
 */
export function errorInfo(error: unknown): ErrorInfo {
  const type = error === null ? "null" : typeof error;
  if (typeof error !== "object" && typeof error !== "function" || error === null) {
    return { name: type, message: clipText(asText(error, type), MAX_MESSAGE_CHARS) };
  }
  const isError = attempt(() => error instanceof Error) === true;
  const name = stringProperty(error, "name");
  const message = stringProperty(error, "message");
  const stack = isError ? stringProperty(error, "stack") : undefined;
  const info: { name: string; message: string; stack?: string } = {
    name: clipText(name ?? (isError ? "Error" : type), MAX_NAME_CHARS),
    message: clipText(message ?? asText(error, type), MAX_MESSAGE_CHARS),
  };
  if (stack !== undefined) info.stack = clipText(stack, MAX_STACK_CHARS);
  return info;
}

/** The message of any thrown value, as one string; never throws. */
export function messageOf(error: unknown): string {
  return errorInfo(error).message;
}

/**
 * One line for people: the first line of the message, named by its type
 * when that adds anything, and where it happened when a file location is
 * known, e.g. `SyntaxError: Unexpected token (at file:///s.ts:1:21)`.
 */
export function errorLine(error: ErrorInfo): string {
  const lines = error.message.replace(ANSI, "").split("\n").map((line) => line.trim());
  const first = lines.find((line) => line !== "") ?? error.name;
  const where = [...lines, ...(error.stack ?? "").replace(ANSI, "").split("\n")]
    .map((line) => /^\s*at (?:.*\()?(file:[^)]*)\)?$/.exec(line)?.[1])
    .find((location) => location !== undefined);
  const named =
    error.name !== "Error" && !first.startsWith(error.name) && error.name !== "TypeError"
      ? `${error.name}: ${first}`
      : first;
  return where === undefined ? named : `${named} (at ${where})`;
}

/** The whole error for a log: its stack when it has one, else `name: message`. */
export function errorStack(error: ErrorInfo): string {
  return error.stack ?? `${error.name}: ${error.message}`;
}
