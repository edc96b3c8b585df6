/**
 * Two tasks with several workers each: pollers that share work by index and
 * a reporter; plus functions to call over RPC.
 *
 * ```sh
 * deno task host --exec 'name=poll;workers=3' --exec 'name=report;wait=2000000' examples/workers.ts
 * deno task rpc evrexec.run stats
 * ```
 *
 * @module
 */

import { KSR } from "../kemi/mod.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Each poller handles the queue items whose number modulo 3 is its index. */
export async function poll(index: string): Promise<void> {
  KSR.pv.seti("$var(handled)", 0);
  for (let item = 0; !KSR.shutdown.aborted; item++) {
    if (item % 3 === Number(index)) {
      KSR.pv.seti("$var(handled)", Number(KSR.pv.get("$var(handled)")) + 1);
      KSR.dbg(`poller ${index}: handled item ${item}`);
    }
    await sleep(200);
  }
  KSR.info(`poller ${index}: stopping after ${KSR.pv.get("$var(handled)")} items`);
}

/** Reports every two seconds, starting two seconds late. */
export async function report(index: string): Promise<void> {
  while (!KSR.shutdown.aborted) {
    KSR.notice(`reporter ${index}: all pollers alive at ${new Date().toISOString()}`);
    await sleep(2000);
  }
}

/** Answers `evrexec.run stats`: a small JSON object. */
export function stats(data: string): { pid: number; data: string; at: string } {
  return { pid: Deno.pid, data, at: new Date().toISOString() };
}
