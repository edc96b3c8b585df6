/**
 * Errors as text: any thrown value as an {@link ErrorInfo} (which crosses the
 * worker boundary), its message, one line for people, or the whole stack.
 *
 * @module
 */

import type { ErrorInfo } from "./messages.ts";

// deno-lint-ignore no-control-regex -- ANSI colour codes in Deno's messages
const ANSI = /\u001b\[[0-9;]*m/g;

/** Turns any thrown value into an {@link ErrorInfo}. */
export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, stack: error.stack };
  }
  return { name: typeof error, message: String(error) };
}

/** The message of any thrown value, as one string. */
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
