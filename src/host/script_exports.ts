/**
 * The script's exported functions in messages: the list people read, and
 * the check that every exec task names one of them.
 *
 * @module
 */

import type { ExecTask } from "../config/exec_spec.ts";
import { quoteValue } from "../shared/quote.ts";

/** `exported functions: a, b` (or `none`), for messages about a name the script lacks. */
export function exportedFunctions(functions: readonly string[]): string {
  return `exported functions: ${functions.join(", ") || "none"}`;
}

/** The first task that names no exported function, as a message; null if none. */
export function missingFunction(
  tasks: readonly ExecTask[],
  functions: readonly string[],
): string | null {
  const task = tasks.find((task) => !functions.includes(task.function));
  if (task === undefined) return null;
  const named = task.function === task.name ? "" : `: function=${quoteValue(task.function)}`;
  return `exec task ${quoteValue(task.name)}${named}: the script exports no function of that ` +
    `name (${exportedFunctions(functions)})`;
}
