/**
 * The seed: the example of Kamailio's evrexec manual, ported line by line
 * (docs/kamailio.md says what each line was). Run it with
 *
 * ```sh
 * deno task host --exec 'name=evrexec:timer;wait=1000;workers=1;' examples/seed.ts
 * ```
 *
 * and call `evrexec:test` with `deno task rpc evroute.run evroute:test mydata`
 * (or with kamctl, kamcmd: docs/rpc.md).
 *
 * @module
 */

import { KSR } from "../kemi/mod.ts";

/** event_route[evrexec:timer]: counts, logging once per sleep("600"), ten minutes. */
export async function timer(_index: string): Promise<void> {
  KSR.pv.seti("$var(x)", 0);
  while (!KSR.shutdown.aborted) {
    KSR.info(`$var(x) is ${KSR.pv.get("$var(x)")}`);
    KSR.pv.seti("$var(x)", Number(KSR.pv.get("$var(x)")) + 1);
    await KSR.sleep("600");
  }
}

/** event_route[evrexec:test]: logs the RPC command's data. */
export function test(_data: string): void {
  KSR.info(`rpc command data: ${KSR.pv.get("$evr(data)")}`);
}

export { test as "evrexec:test", test as "evroute:test", timer as "evrexec:timer" };
