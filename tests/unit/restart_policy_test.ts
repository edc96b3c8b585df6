// The restart policy as a state machine, driven with an injected clock.
import assert from "node:assert/strict";
import { RestartTracker } from "../../src/tasks/restart_policy.ts";
import { parseExecSpec } from "../../src/config/exec_spec.ts";

const task = (keys: string) => parseExecSpec(`name=t;${keys}`);

Deno.test("restart=no: every ending stays", () => {
  const tracker = new RestartTracker(task("restart=no"));
  for (const ending of ["returned", "threw", "crashed"] as const) {
    assert.deepEqual(tracker.decide(0, ending, 10, 1000), { kind: "stay" });
  }
});

Deno.test("restart=on-failure: a return stays, a throw or crash restarts", () => {
  const tracker = new RestartTracker(task("restart=on-failure"));
  assert.deepEqual(tracker.decide(0, "returned", 10, 1000), { kind: "stay" });
  assert.equal(tracker.decide(0, "threw", 10, 1000).kind, "restart");
  assert.equal(tracker.decide(1, "crashed", 10, 1000).kind, "restart");
});

Deno.test("backoff doubles per worker up to backoff_max", () => {
  const tracker = new RestartTracker(
    task("restart=always;backoff=100;backoff_max=500;max_restarts=100"),
  );
  const delays = [0, 1, 2, 3, 4].map((i) => tracker.decide(0, "threw", 10, 1000 + i));
  assert.deepEqual(delays.map((d) => d.kind === "restart" && d.delayMs), [
    100,
    200,
    400,
    500,
    500,
  ]);
  // Another worker of the same task has its own streak.
  assert.deepEqual(tracker.decide(1, "threw", 10, 1010), { kind: "restart", delayMs: 100 });
});

Deno.test("a worker that stayed up for the window starts its backoff again", () => {
  const tracker = new RestartTracker(
    task("restart=always;backoff=100;restart_window=1000;max_restarts=100"),
  );
  tracker.decide(0, "threw", 10, 0);
  tracker.decide(0, "threw", 10, 10);
  assert.deepEqual(tracker.decide(0, "threw", 999, 20), { kind: "restart", delayMs: 400 });
  assert.deepEqual(tracker.decide(0, "threw", 1000, 30), { kind: "restart", delayMs: 100 });
});

Deno.test("max_restarts within the window gives up, once, and stays given up", () => {
  const tracker = new RestartTracker(task("restart=always;max_restarts=3;restart_window=1000"));
  for (let i = 0; i < 3; i++) assert.equal(tracker.decide(0, "threw", 1, i).kind, "restart");
  assert.deepEqual(tracker.decide(0, "threw", 1, 3), { kind: "give-up", restarts: 3 });
  assert.equal(tracker.gaveUp, true);
  assert.deepEqual(tracker.decide(1, "threw", 1, 5000), { kind: "stay" });
});

Deno.test("restarts older than the window are forgotten", () => {
  const tracker = new RestartTracker(task("restart=always;max_restarts=2;restart_window=1000"));
  assert.equal(tracker.decide(0, "threw", 1, 0).kind, "restart");
  assert.equal(tracker.decide(0, "threw", 1, 500).kind, "restart");
  // At 1000 the first restart has left the window: one restart in it, room for one more.
  assert.equal(tracker.decide(0, "threw", 1, 1000).kind, "restart");
  assert.equal(tracker.decide(0, "threw", 1, 1001).kind, "give-up");
});

Deno.test("reset forgets restarts and a given-up state", () => {
  const tracker = new RestartTracker(task("restart=always;max_restarts=1"));
  tracker.decide(0, "threw", 1, 0);
  assert.equal(tracker.decide(0, "threw", 1, 1).kind, "give-up");
  tracker.reset();
  assert.equal(tracker.gaveUp, false);
  assert.deepEqual(tracker.decide(0, "threw", 1, 2), { kind: "restart", delayMs: 100 });
});
