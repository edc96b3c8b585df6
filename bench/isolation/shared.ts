/**
 * `isolation=shared` beside threads: for each worker count, the time from
 * the host's start to "all N workers running" (the `idle` function entered
 * by every worker) and the host's PSS per extra worker, for heap-capped
 * threads (the default), Web Workers (`--worker-heap 0`) and one shared
 * group (`isolation=shared`, uncapped and capped). Runs alternate kinds.
 *
 *     deno run -A bench/isolation/shared.ts [--workers 1,64] [--runs 3]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { allRunning, HOST_READY, launchHost } from "../common/launch.ts";
import { sleep, treeMemoryKiB } from "../common/proc.ts";
import { median } from "../common/stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { workers: { type: "string", default: "1,64" }, runs: { type: "string", default: "3" } },
});
const counts = values.workers.split(",").map(Number);
const runs = Number(values.runs);
const KINDS = [
  { name: "threads (heap cap 256 MiB, default)", args: [], spec: "" },
  { name: "Web Workers (--worker-heap 0)", args: ["--worker-heap", "0"], spec: "" },
  { name: "isolation=shared (no cap)", args: ["--worker-heap", "0"], spec: ";isolation=shared" },
  { name: "isolation=shared;heap=256", args: [], spec: ";isolation=shared;heap=256" },
];

/** Milliseconds to all running and the tree's PSS in MiB once settled. */
async function once(kind: typeof KINDS[number], workers: number) {
  const launched = await launchHost({ workers, spec: kind.spec, args: kind.args });
  try {
    const pattern = workers === 0 ? HOST_READY : allRunning("idle", workers);
    const { ms } = await launched.child.waitLine(pattern, 60_000);
    await sleep(1500);
    return { ms, pss: treeMemoryKiB(launched.child.pid).pss / 1024 };
  } finally {
    await launched.stop();
  }
}

console.log(
  `| kind | workers | start to all running, ms (median of ${runs}) | PSS per extra worker, MiB |`,
);
console.log("| --- | ---: | ---: | ---: |");
for (const workers of counts) {
  const figures = KINDS.map(() => ({
    ms: [] as number[],
    pss: [] as number[],
    base: [] as number[],
  }));
  for (let run = 0; run < runs; run++) {
    for (const [i, kind] of KINDS.entries()) {
      const base = await once(kind, 0);
      const measured = await once(kind, workers);
      figures[i].ms.push(measured.ms);
      figures[i].pss.push(measured.pss);
      figures[i].base.push(base.pss);
    }
  }
  for (const [i, kind] of KINDS.entries()) {
    const perWorker = (median(figures[i].pss) - median(figures[i].base)) / workers;
    console.log(
      `| ${kind.name} | ${workers} | ${Math.round(median(figures[i].ms))} | ${
        perWorker.toFixed(2)
      } |`,
    );
  }
}
