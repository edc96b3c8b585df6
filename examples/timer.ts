/**
 * The seed's timer example, in TypeScript: one worker counts and logs every
 * 600 ms. Run it with `deno task start`, which passes
 * `--exec 'name=evrexec:timer;wait=1000;workers=1'`.
 *
 * @module
 */

import { KSR } from "../kemi/mod.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts forever, logging every 600 ms, until the host stops. */
export async function timer(index: string): Promise<void> {
  let count = 0;
  while (!KSR.shutdown.aborted) {
    count++;
    KSR.info(`timer worker ${index}: count ${count}`);
    await sleep(600);
  }
}

/** Answers `evrexec.run hello [name]` over RPC. */
export function hello(data: string): string {
  const who = KSR.pv.get("$evr(data)") || "world";
  KSR.info(`hello called with data ${JSON.stringify(data)}`);
  return `hello, ${who}`;
}

export { timer as "evrexec:timer" };
