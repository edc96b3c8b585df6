/**
 * Deno 2.9.6: the process's RSS rises with every worker created and
 * terminated, although nothing of the workers is reachable any more.
 *
 *     deno run --allow-read --allow-write --v8-flags=--expose-gc repro/worker_churn_rss.ts \
 *       [web|web-sab|web-close|node|node-capped|node-sab|node-ts] [count=1000]
 *
 * Each round starts 4 workers of the kind named, waits for each to say it
 * is up, then ends them (terminate(), or with `web-close` the worker ends
 * itself with close()) and waits until their threads have ended. Kinds:
 * `web` a Web Worker handed a `node:worker_threads` MessagePort (whose
 * "close" tells when its thread has ended); `web-sab` one also handed a
 * SharedArrayBuffer it waits on with `Atomics.waitAsync`; `node` a
 * `node:worker_threads` Worker; `node-capped` one with `resourceLimits`;
 * `node-sab` a capped one handed a SharedArrayBuffer it waits on; `node-ts`
 * a capped one whose entry is a TypeScript module importing another.
 * Prints the RSS floor (the lowest of the last 10 rounds) every count/5
 * workers, then the rise per 1,000 workers after the first fifth (warm-up)
 * and the main isolate's heap after a GC when run with --v8-flags=--expose-gc.
 * The gap is there while the rise is well above zero (2.9.6: see
 * docs/reliability.md).
 *
 * @module
 */

import { MessageChannel, Worker as NodeWorker } from "node:worker_threads";

const kind = Deno.args[0] ?? "web";
const count = Number(Deno.args[1] ?? 1000);
const KINDS = ["web", "web-sab", "web-close", "node", "node-capped", "node-sab", "node-ts"];
if (!KINDS.includes(kind) || !(count >= 20)) {
  console.error(`usage: worker_churn_rss.ts [${KINDS.join("|")}] [count>=20]`);
  Deno.exit(2);
}

const WEB_SOURCE = `
self.onmessage = (event) => {
  const { port, shared, close } = event.data;
  if (shared) {
    const header = new Int32Array(shared);
    Atomics.waitAsync(header, 0, 0);
  }
  port?.postMessage("up");
  self.postMessage("up");
  if (close) self.close();
};`;
const NODE_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
if (workerData?.shared) Atomics.waitAsync(new Int32Array(workerData.shared), 0, 0);
parentPort.postMessage("up");
setInterval(() => {}, 60000);`;
const tsDir = await Deno.makeTempDir();
await Deno.writeTextFile(
  `${tsDir}/dep.ts`,
  Array.from(
    { length: 200 },
    (_, i) => `export function f${i}(x: number): number { return x + ${i}; }`,
  )
    .join("\n"),
);
await Deno.writeTextFile(
  `${tsDir}/main.ts`,
  `import { parentPort } from "node:worker_threads";\nimport * as dep from "./dep.ts";\n` +
    `parentPort!.postMessage(dep.f1(1));\nsetInterval(() => {}, 60000);\n`,
);
const webUrl = URL.createObjectURL(new Blob([WEB_SOURCE], { type: "text/javascript" }));
const nodeFile = await Deno.makeTempFile({ suffix: ".cjs" });
await Deno.writeTextFile(nodeFile, NODE_SOURCE);

const rssMiB = () => Deno.memoryUsage().rss / 2 ** 20;

/** Starts one worker, waits for it to be up, ends it, waits for its thread to end. */
async function oneWorker(): Promise<void> {
  if (kind.startsWith("node")) {
    const entry = kind === "node-ts" ? new URL(`file://${tsDir}/main.ts`) : nodeFile;
    const worker = new NodeWorker(entry, {
      ...(kind === "node" ? {} : { resourceLimits: { maxOldGenerationSizeMb: 64 } }),
      ...(kind === "node-sab" ? { workerData: { shared: new SharedArrayBuffer(64 * 1024) } } : {}),
    });
    await new Promise((resolve) => worker.once("message", resolve));
    const exited = new Promise((resolve) => worker.once("exit", resolve));
    await worker.terminate();
    await exited;
    return;
  }
  const worker = new Worker(webUrl, { type: "module" });
  const up = new Promise((resolve) => worker.onmessage = resolve);
  // A port's "close" tells when the worker's thread has really ended.
  const { port1, port2 } = new MessageChannel() as unknown as globalThis.MessageChannel;
  const ended = new Promise((resolve) => port1.addEventListener("close", resolve));
  port1.onmessage = () => {};
  const shared = kind === "web-sab" ? new SharedArrayBuffer(64 * 1024) : undefined;
  worker.postMessage({ port: port2, shared, close: kind === "web-close" }, [port2]);
  await up;
  if (kind !== "web-close") worker.terminate();
  await ended;
  port1.close();
}

const gc = (globalThis as { gc?: () => void }).gc;
const every = count / 5;
const floors: number[] = [];
let recent: number[] = [];
console.log(`${kind}: ${count} workers, 4 at a time (Deno ${Deno.version.deno})`);
console.log(`workers  rss-floor-MiB`);
console.log(`0  ${rssMiB().toFixed(1)}`);
for (let done = 0; done < count;) {
  await Promise.all([oneWorker(), oneWorker(), oneWorker(), oneWorker()]);
  done += 4;
  recent.push(rssMiB());
  if (recent.length > 10) recent = recent.slice(-10);
  if (done % every < 4) {
    floors.push(Math.min(...recent));
    console.log(`${done}  ${floors.at(-1)!.toFixed(1)}`);
  }
}
const rise = (floors.at(-1)! - floors[0]) / (count - every) * 1000;
console.log(`rise after warm-up: ${rise.toFixed(1)} MiB per 1,000 workers`);
if (gc !== undefined) {
  gc();
  const { heapUsed, external } = Deno.memoryUsage();
  console.log(
    `main isolate after a GC: heap used ${(heapUsed / 2 ** 20).toFixed(1)} MiB, ` +
      `external ${(external / 2 ** 20).toFixed(1)} MiB`,
  );
}
await Deno.remove(nodeFile);
await Deno.remove(tsDir, { recursive: true });
