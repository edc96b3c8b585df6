/**
 * Two timer tasks: a heartbeat every 5 s on two workers, and a report at
 * seconds 0 and 30 of every minute, Berlin time. No loop, no sleep: the host
 * calls each function at its ticks ([docs/schedules.md](../docs/schedules.md)).
 *
 * ```sh
 * deno task host --exec 'name=heartbeat;every=5s;workers=2' \
 *   --exec 'name=report;cron=0,30 * * * * *;tz=Europe/Berlin' examples/schedules.ts
 * deno task rpc evrexec.list              # schedule, next_run, last_run, runs, errors, skipped
 * deno task rpc evrexec.trigger report    # one report now
 * ```
 *
 * @module
 */

import { KSR } from "../kemi/mod.ts";

/** One tick: the worker's count of beats, kept in a `$var` between ticks. */
export function heartbeat(index: string): void {
  const beats = Number(KSR.pv.get("$var(beats)") ?? 0) + 1;
  KSR.pv.seti("$var(beats)", beats);
  KSR.info(`heartbeat from worker ${index}: beat ${beats}`);
}

/** One tick: a report that takes a moment; a tick that falls meanwhile is skipped. */
export async function report(_index: string): Promise<void> {
  const started = new Date();
  await new Promise((resolve) => setTimeout(resolve, 200)); // gather figures
  KSR.info(`report of ${started.toISOString()}: ${Deno.memoryUsage().heapUsed} bytes of heap`);
}
