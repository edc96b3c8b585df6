/**
 * Every bundled example in one script, for `examples/evrexec.jsonc`: the
 * seed's timer, the timer tasks of `schedules.ts` and the pollers of
 * `workers.ts` (whose reporter is exported as `reporter`, next to the
 * schedules' `report`).
 *
 * ```sh
 * deno task host --config examples/evrexec.jsonc
 * deno task top
 * ```
 *
 * @module
 */

export { hello, timer } from "./timer.ts";
export { timer as "evrexec:timer" } from "./timer.ts";
export { heartbeat, report } from "./schedules.ts";
export { poll, report as reporter, stats } from "./workers.ts";
