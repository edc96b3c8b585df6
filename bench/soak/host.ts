/**
 * The host as `deno task soak` runs it: the normal command line, plus its
 * main thread's memory use written every second to the file named by
 * `SOAK_STATS` (the heap is not visible from outside the process).
 *
 * @module
 */

import { main } from "../../src/cli/main.ts";

const statsFile = Deno.env.get("SOAK_STATS");
if (statsFile) {
  const write = () => {
    const text = JSON.stringify({ at: Date.now(), ...Deno.memoryUsage() });
    Deno.writeTextFileSync(`${statsFile}.tmp`, text);
    Deno.renameSync(`${statsFile}.tmp`, statsFile);
  };
  write();
  Deno.unrefTimer(setInterval(write, 1000));
}
Deno.exit(await main(Deno.args));
