/**
 * Turns the error that stopped a script from loading into one line: the
 * first line of its message and, when known, where it happened.
 *
 * @module
 */

import type { ErrorInfo } from "./messages.ts";

// deno-lint-ignore no-control-regex -- ANSI colour codes in Deno's messages
const ANSI = /\u001b\[[0-9;]*m/g;

/** One line saying why the script did not load, e.g. `SyntaxError: … (at file:///s.ts:1:21)`. */
export function loadErrorLine(error: ErrorInfo): string {
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
