// A `node:worker_threads` Worker with `resourceLimits` that allocates past
// its cap is not always ended: Deno's near-heap-limit callback raises V8's
// heap limit and terminates the isolate, but a termination that lands in a
// timer callback is lost, so the worker lives on past its cap (its heap
// limit doubled, what was allocating cut off), with no 'error' and no
// 'exit' event. One that allocates synchronously in a message handler
// can also stay terminated: no event, its thread idle, answering nothing.
// Node 20 ends every such worker with ERR_WORKER_OUT_OF_MEMORY.
//
//   deno run repro/node_worker_heap_hang.ts
//
// Deno 2.9.6 prints, for 10 workers of each kind, lines such as
//   timer: 3 ended (ERR_WORKER_OUT_OF_MEMORY), 7 alive past their cap (heap limit 224 MiB)
//   message: 0 ended (ERR_WORKER_OUT_OF_MEMORY), 10 silent past their cap
//   gap still there: 17 of 20 workers out of heap were not ended within 3 s
// and "gap fixed" when every worker is ended.
import { Worker } from "node:worker_threads";

const CAP_MIB = 64;
const TRIALS = 10;
const worker = (allocate: string) =>
  new URL(
    "data:text/javascript," + encodeURIComponent(`
import { parentPort } from "node:worker_threads";
import v8 from "node:v8";
const hoard = [];
const chunk = () => hoard.push(new Array(250000).fill(Math.random()));
parentPort.on("message", (m) => m === "limit"
  ? parentPort.postMessage(v8.getHeapStatistics().heap_size_limit)
  : ${allocate});
`),
  );
const kinds = {
  // allocates in timer callbacks, yielding between chunks
  timer: worker(
    "(async () => { while (true) { chunk(); await new Promise((r) => setTimeout(r, 0)); } })()",
  ),
  // allocates without yielding, in the handler of a message
  message: worker("(() => { while (true) chunk(); })()"),
};

let missed = 0;
for (const [kind, url] of Object.entries(kinds)) {
  const seen = { ended: 0, alive: 0, silent: 0 };
  let limit = 0;
  for (let i = 0; i < TRIALS; i++) {
    const w = new Worker(url, { resourceLimits: { maxOldGenerationSizeMb: CAP_MIB } });
    const outcome = Promise.withResolvers<string>();
    w.on("error", (e: Error & { code?: string }) => outcome.resolve(e.code ?? e.message));
    w.on("exit", () => outcome.resolve("exit"));
    w.on("message", (m: number) => outcome.resolve(`limit ${(limit = m)}`));
    w.postMessage("allocate");
    const ask = setTimeout(() => w.postMessage("limit"), 2500); // any answer means still alive
    const timeout = setTimeout(() => outcome.resolve("silent"), 3000);
    const what = await outcome.promise;
    clearTimeout(ask);
    clearTimeout(timeout);
    if (what === "ERR_WORKER_OUT_OF_MEMORY" || what === "exit") seen.ended++;
    else if (what === "silent") seen.silent++;
    else seen.alive++;
    await w.terminate();
  }
  missed += seen.alive + seen.silent;
  console.log(
    `${kind}: ${seen.ended} ended (ERR_WORKER_OUT_OF_MEMORY), ` +
      (seen.alive ? `${seen.alive} alive past their cap (heap limit ${limit >> 20} MiB)` : "") +
      (seen.alive && seen.silent ? ", " : "") +
      (seen.silent ? `${seen.silent} silent past their cap` : "") +
      (seen.alive + seen.silent === 0 ? "0 left past their cap" : ""),
  );
}
console.log(
  missed > 0
    ? `gap still there: ${missed} of ${2 * TRIALS} workers out of heap were not ended within 3 s`
    : "gap fixed: every worker out of heap was ended",
);
