/**
 * Counts in words: `1 worker`, `2 workers`, for log lines and status text.
 *
 * @module
 */

/**
 * `count` and `noun`, the noun plural unless `count` is 1 (`plural`, else
 * `noun` + "s").
 *
 * @example
 * ```ts
 * import { counted } from "./plural.ts";
 * console.log(counted(1, "restart"), counted(3, "exec task")); // 1 restart 3 exec tasks
 * ```
 */
export function counted(count: number, noun: string, plural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : plural}`;
}
