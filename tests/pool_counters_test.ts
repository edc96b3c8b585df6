// The pool's request ids and its channels' counts, started just below the
// Int32 wrap (as after 2^31 calls), in a pool run in this process on a real
// worker: every call across the wrap is answered, none "out of step".
import { DEFAULTS } from "../src/config/defaults.ts";
import assert from "node:assert/strict";
import { startWorker } from "../src/spawn/start_worker.ts";
import { WorkerPacer } from "../src/spawn/pacer.ts";
import { WorkerRegistry } from "../src/spawn/registry.ts";
import { WorkerStates } from "../src/spawn/worker_states.ts";
import { RpcPool } from "../src/pool/pool.ts";
import { fixture } from "./helpers/host.ts";

Deno.test({
  name: "pool counters: ids and channel counts wrap past 2^31 - 1; every call is answered",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const workers = new WorkerRegistry({
      maxStuck: 1,
      tooManyStuck: () => assert.fail("no worker gets stuck here"),
    });
    const states = new WorkerStates();
    const pool = new RpcPool({
      size: 1,
      queueLimit: 100,
      timeoutMs: 10_000,
      counterStart: 2 ** 31 - 3,
    }, {
      scriptUrl: `file://${fixture("rpc.ts")}`,
      logLevel: "error",
      states,
      workerHeapMiB: DEFAULTS.workerHeapMiB,
      workers,
      pacer: new WorkerPacer({
        factory: (init, events, options) => startWorker(init, events, workers, options!),
      }),
    });
    try {
      await pool.load();
      for (let call = 0; call < 6; call++) {
        const json = await pool.run("echo", `call ${call}`);
        assert.equal(JSON.parse(json).arg, `call ${call}`);
      }
      // Too big for the shared buffer: by message, with a wrapped id.
      assert.equal(JSON.parse(await pool.run("echo", "x".repeat(70_000))).arg.length, 70_000);
      assert.equal(states.all()[0].restarts, 0, "the worker was never replaced");
    } finally {
      pool.terminate();
    }
    assert.equal(workers.live.size, 0);
  },
});
