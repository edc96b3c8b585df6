// The per-slot state machine, driven by a fake clock and fake workers: the
// stop rule, the restart policy, creation failures and stale events.
import assert from "node:assert/strict";
import { STOP_ACK_MS } from "../../src/tasks/worker_lifecycle.ts";
import { running, World } from "./lifecycle_world.ts";

Deno.test("stop rule: a function that never read KSR.shutdown is terminated on its ack", async () => {
  const { world, worker } = running();
  const stopped = world.machine.stop(5000);
  assert.equal(worker.signalled, 1);
  assert.equal(world.machine.phase, "stopping");
  world.clock.advance(3);
  world.machine.acknowledged(worker, false);
  await stopped;
  assert.equal(worker.terminated, "done");
  assert.equal(world.machine.phase, "idle");
  assert.equal(world.lastState, "stopped");
});

Deno.test("stop rule: one that read it gets its grace, and is terminated when it ends", async () => {
  const { world, worker } = running();
  const stopped = world.machine.stop(5000);
  world.machine.acknowledged(worker, true);
  world.clock.advance(4000);
  assert.equal(worker.terminated, null, "still within its grace");
  world.machine.ended(worker, "returned");
  await stopped;
  assert.equal(worker.terminated, "done");
  assert.deepEqual(world.endings, [], "an ending after a stop is not a policy matter");
});

Deno.test("stop rule: past its grace, a watching function is terminated as late", async () => {
  const { world, worker } = running();
  const stopped = world.machine.stop(2000);
  world.machine.acknowledged(worker, true);
  world.clock.advance(1999);
  assert.equal(worker.terminated, null);
  world.clock.advance(1);
  await stopped;
  assert.equal(worker.terminated, "late");
});

Deno.test("stop rule: no ack within STOP_ACK_MS is stuck, terminated at once", async () => {
  const { world, worker } = running();
  const stopped = world.machine.stop(60_000);
  world.clock.advance(STOP_ACK_MS - 1);
  assert.equal(worker.terminated, null);
  world.clock.advance(1);
  await stopped;
  assert.equal(worker.terminated, "stuck");
  world.machine.acknowledged(worker, true); // too late: ignored
  world.machine.ended(worker, "returned");
  assert.equal(world.machine.phase, "idle");
});

Deno.test("stop rule: an ack read late because this thread was busy is not taken as stuck", async () => {
  const { world, worker } = running();
  const stopped = world.machine.stop(5000);
  world.clock.block(STOP_ACK_MS + 400); // a worker creation blocked the host meanwhile
  world.clock.fireDue(); // the deadline's timer runs first ...
  world.machine.acknowledged(worker, false); // ... then the ack that came meanwhile
  world.clock.fireDue();
  await stopped;
  assert.equal(worker.terminated, "done");
});

Deno.test("a worker still loading, waiting, or whose function ended is stopped without a signal", () => {
  const world = new World();
  world.machine.start();
  const loading = world.make()!;
  world.machine.stop(5000);
  assert.equal(loading.signalled, 0);
  assert.equal(loading.terminated, "done");
  world.machine.start();
  const ended = world.make()!;
  world.machine.entered(ended);
  world.machine.ended(ended, "returned");
  assert.equal(world.machine.phase, "live", "a returned function's worker idles (Kamailio)");
  assert.equal(world.lastState, "returned");
  world.machine.restart(5000);
  assert.equal(ended.terminated, "done");
  assert.equal(world.machine.phase, "queued");
});

Deno.test("restart during a restart (the reload + restart pair): one new worker, no orphan", async () => {
  const { world, worker } = running();
  const first = world.machine.restart(5000);
  const second = world.machine.restart(5000);
  world.check();
  world.machine.acknowledged(worker, true);
  world.clock.advance(300);
  world.machine.ended(worker, "returned");
  await Promise.all([first, second]);
  assert.equal(world.requests.length, 1, "one creation asked for");
  world.make();
  world.check();
  assert.equal(world.live.length, 1);
});

Deno.test("a stop after a restart wins; a start after a stop wins", async () => {
  const { world, worker } = running();
  const restart = world.machine.restart(5000);
  const stop = world.machine.stop(5000);
  world.machine.acknowledged(worker, false);
  await Promise.all([restart, stop]);
  assert.equal(world.machine.phase, "idle");
  assert.equal(world.requests.length, 0);

  const again = running();
  const stopped = again.world.machine.stop(5000);
  again.world.machine.start();
  again.world.machine.acknowledged(again.worker, false);
  await stopped;
  assert.equal(again.world.machine.phase, "queued");
});

Deno.test("policy: a restart waits out its backoff; a stop meanwhile cancels it", () => {
  const { world, worker } = running();
  world.decision = { kind: "restart", delayMs: 400 };
  world.machine.ended(worker, "threw", { name: "Error", message: "boom" });
  assert.deepEqual(world.states.slice(-2), [
    { state: "failed", error: "boom" },
    { state: "backoff", error: undefined },
  ]);
  assert.equal(worker.terminated, "done");
  world.clock.advance(399);
  assert.equal(world.requests.length, 0);
  world.clock.advance(1);
  assert.equal(world.machine.phase, "queued");
  world.make();

  world.machine.ended(world.machine.worker!, "crashed");
  assert.equal(world.machine.phase, "backoff");
  world.machine.stop(5000);
  world.clock.advance(10_000);
  assert.equal(world.machine.phase, "idle");
  assert.equal(world.requests.length, 0, "the timer created nothing");
});

Deno.test("a worker that cannot be created fails its slot with the reason and gets the policy", () => {
  const world = new World();
  world.decision = { kind: "restart", delayMs: 100 };
  world.machine.start();
  world.make(false);
  assert.equal(world.endings[0], "crashed");
  assert.deepEqual(world.states.at(-2), {
    state: "failed",
    error: "cannot start a worker: no threads",
  });
  assert.equal(world.machine.phase, "backoff");
  world.decision = { kind: "stay" };
  world.clock.advance(100);
  world.make(false);
  assert.equal(world.machine.phase, "idle");
  assert.equal(world.lastState, "failed");
  world.machine.start();
  assert.ok(world.make());
  world.check();
});

Deno.test("give-up drops a restart waiting in backoff", () => {
  const { world, worker } = running();
  world.decision = { kind: "restart", delayMs: 100 };
  world.machine.ended(worker, "threw");
  world.machine.giveUp();
  assert.equal(world.lastState, "failed");
  world.clock.advance(1000);
  assert.equal(world.requests.length, 0);
});

Deno.test("events of an old worker change nothing; a late creation is terminated", () => {
  const { world, worker: old } = running();
  world.machine.restart(5000);
  world.machine.acknowledged(old, false);
  const fresh = world.make()!;
  world.machine.ended(old, "crashed");
  world.machine.entered(old);
  assert.equal(world.machine.worker, fresh);
  assert.deepEqual(world.endings, []);

  world.honourWithdraw = false;
  world.machine.stop(5000);
  world.machine.start();
  world.machine.stop(5000); // withdraws the request, which the world answers anyway
  const late = world.make()!;
  assert.equal(late.terminated, "done");
  world.check();
});

Deno.test("terminate ends everything at once and settles a pending stop", async () => {
  const { world, worker } = running();
  const stopped = world.machine.stop(60_000);
  world.machine.acknowledged(worker, true);
  world.machine.terminate();
  await stopped;
  assert.equal(worker.terminated, "done");
  assert.equal(world.lastState, "stopped");
  world.clock.advance(120_000);
  world.check();
});
