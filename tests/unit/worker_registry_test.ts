// A host's registry of workers: stuck workers are listed with their time,
// and one past --max-stuck calls the host's exit; each registry is its own.
import assert from "node:assert/strict";
import { type StuckWorker, WorkerRegistry } from "../../src/spawn/registry.ts";

function registry(maxStuck: number) {
  const calls: string[][] = [];
  let now = 1000;
  const workers = new WorkerRegistry({
    maxStuck,
    tooManyStuck: (stuck: readonly StuckWorker[]) => calls.push(stuck.map((w) => w.label)),
    now: () => now++,
  });
  return { workers, calls };
}

Deno.test("worker registry: up to --max-stuck stuck workers are tolerated, one more ends the host", () => {
  const { workers, calls } = registry(2);
  workers.noteStuck("rpc worker 0", "rpc");
  workers.noteStuck('task "spin" worker 1');
  assert.deepEqual(calls, []);
  assert.deepEqual(workers.stuck, [
    { label: "rpc worker 0", role: "rpc", since: 1000 },
    { label: 'task "spin" worker 1', role: "exec", since: 1001 },
  ]);
  assert.deepEqual(workers.stuckInPool.map((worker) => worker.label), ["rpc worker 0"]);
  workers.noteStuck("rpc worker 1");
  assert.deepEqual(calls, [["rpc worker 0", 'task "spin" worker 1', "rpc worker 1"]]);
});

Deno.test("worker registry: --max-stuck 0 ends the host at the first stuck worker", () => {
  const { workers, calls } = registry(0);
  workers.noteStuck("rpc worker 0");
  assert.equal(calls.length, 1);
});

Deno.test("worker registry: two registries (two hosts in one process) share nothing", () => {
  const a = registry(1), b = registry(1);
  a.workers.noteStuck("rpc worker 0");
  a.workers.noteStuck("rpc worker 1");
  assert.equal(b.workers.stuck.length, 0);
  assert.equal(a.calls.length, 1);
  assert.equal(b.calls.length, 0);
});

Deno.test("worker registry: a stuck worker whose thread ends after all is taken off the list", () => {
  const { workers } = registry(2);
  const first = workers.noteStuck("rpc worker 0");
  workers.noteStuck("rpc worker 1");
  workers.cleared(first);
  assert.deepEqual(workers.stuck.map((w) => w.label), ["rpc worker 1"]);
  workers.cleared(first);
  assert.equal(workers.stuck.length, 1, "clearing twice changes nothing");
});
