// A `new Worker()` that throws (a thread limit, say) on a restart from a
// backoff timer: the slot is marked failed with the reason and the task's
// policy goes on, up to its crash-loop limit; nothing is thrown. A task's
// supervisor is run in this process with real workers; only the failure of
// `new Worker()` is injected, through the pacer's factory.
import { DEFAULTS } from "../src/config/defaults.ts";
import assert from "node:assert/strict";
import { startWorker } from "../src/spawn/start_worker.ts";
import { WorkerPacer } from "../src/spawn/pacer.ts";
import { WorkerRegistry } from "../src/spawn/registry.ts";
import { WorkerStates } from "../src/spawn/worker_states.ts";
import { parseExecSpec } from "../src/config/exec_spec.ts";
import { TaskSupervisor } from "../src/tasks/supervisor.ts";
import { fixture, sleep } from "./helpers/host.ts";

Deno.test({
  name: "spawn failure: a worker that cannot be created fails its slot; the policy goes on",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    let creations = 0;
    const workers = new WorkerRegistry({ maxStuck: 1, tooManyStuck: () => {} });
    const pacer = new WorkerPacer({
      factory: (init, events, options) => {
        if (++creations > 1) throw new Error("Resource temporarily unavailable (os error 11)");
        return startWorker(init, events, workers, options!);
      },
    });
    const states = new WorkerStates();
    const supervisor = new TaskSupervisor(
      parseExecSpec("name=crash;restart=always;backoff=50;max_restarts=3"),
      {
        scriptUrl: `file://${fixture("supervised.ts")}`,
        logLevel: "info",
        states,
        pacer,
        workers,
        workerHeapMiB: DEFAULTS.workerHeapMiB,
      },
    );
    try {
      supervisor.start();
      const deadline = Date.now() + 15_000;
      while (supervisor.state !== "failed" && Date.now() < deadline) await sleep(25);
      const [slot] = supervisor.slots;
      assert.equal(supervisor.state, "failed", "the crash loop limit was reached");
      assert.equal(creations, 4, "the first start and three restarts were tried");
      assert.equal(slot.state, "failed");
      assert.match(
        slot.lastError?.message ?? "",
        /^cannot start a worker: Resource temporarily unavailable/,
      );
      assert.equal(slot.restarts, 3);
    } finally {
      supervisor.terminate();
    }
  },
});
