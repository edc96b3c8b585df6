// Which OS thread a node worker runs on, and whether it waits in its event loop: the
// view that tells a capped worker halted at its cap from one blocked in a call (issue 21).
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { newWorkerThread, threadIds, waitsInEventLoop } from "../../src/spawn/os_thread.ts";

const code = (body: string) => new URL("data:text/javascript," + encodeURIComponent(body));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("os thread: an idle worker waits in its event loop; a blocked or busy one does not", async () => {
  const kinds = {
    idle: "setInterval(() => {}, 1000);",
    blocked: "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);",
    busy: "const end = Date.now() + 3000; while (Date.now() < end) {}",
  };
  const found: Record<string, boolean | null> = {};
  const workers: Worker[] = [];
  try {
    const threads: Record<string, string | null> = {};
    for (const [kind, body] of Object.entries(kinds)) {
      const before = threadIds();
      workers.push(new Worker(code(body)));
      // On a loaded machine the thread may take a moment to start and name itself.
      let thread = newWorkerThread(before);
      for (let tries = 0; thread === null && tries < 100; tries++) {
        await sleep(20);
        thread = newWorkerThread(before);
      }
      threads[kind] = thread;
      await sleep(50); // let it start
    }
    await sleep(700);
    for (const [kind, thread] of Object.entries(threads)) {
      assert.ok(thread !== null, `the thread of the ${kind} worker was found`);
      found[kind] = waitsInEventLoop(thread);
    }
  } finally {
    for (const worker of workers) await worker.terminate();
  }
  assert.deepEqual(found, { idle: true, blocked: false, busy: false });
});
