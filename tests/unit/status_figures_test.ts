// The status page's own figures: the last minute's quantiles and the bounded
// trail of restarts, failures and reloads, driven by a clock of the test's.
import assert from "node:assert/strict";
import { MinuteWindow, SAMPLE_MS, WINDOW_MS } from "../../src/observe/minute_window.ts";
import {
  RecentTrail,
  TRAIL_EVENTS,
  TRAIL_RELOADS,
  TRAIL_TEXT_MAX,
} from "../../src/observe/recent_trail.ts";
import { FunctionCounts } from "../../src/observe/stats.ts";

Deno.test("minute window: calls older than a minute leave the quantiles", () => {
  let now = 0;
  const functions = new Map([["f", new FunctionCounts()]]);
  const window = new MinuteWindow(functions, () => now);
  window.sample();
  const slow = functions.get("f")!.durations;
  for (let i = 0; i < 10; i++) slow.observe(2); // 2 s each, at t=0
  assert.equal(window.figures("f").calls, 10);
  assert.ok(window.figures("f").p50_ms! > 1000);
  for (now = SAMPLE_MS; now <= WINDOW_MS + 5 * SAMPLE_MS; now += SAMPLE_MS) window.sample();
  for (let i = 0; i < 4; i++) slow.observe(0.001); // 1 ms each, now
  const figures = window.figures("f");
  assert.equal(figures.calls, 4);
  assert.ok(figures.p99_ms! <= 1, JSON.stringify(figures));
  assert.deepEqual(window.figures("unknown"), { calls: 0, p50_ms: null, p99_ms: null });
});

Deno.test("recent trail: restarts, failures and reloads, bounded and cut", () => {
  const trail = new RecentTrail(() => 42);
  const slot = { role: "exec" as const, task: "t", index: 0 };
  trail.workerState(slot, "running", undefined, "waiting"); // not an event
  trail.workerState(slot, "failed", "x".repeat(1000), "running");
  trail.workerState(slot, "starting", undefined, "backoff");
  assert.deepEqual(trail.events.map((e) => e.kind), ["failure", "restart"]);
  assert.equal(trail.events[0].message!.length, TRAIL_TEXT_MAX);
  for (let i = 0; i < TRAIL_EVENTS * 2; i++) {
    trail.workerState(slot, "returned", undefined, "running");
  }
  assert.equal(trail.events.length, TRAIL_EVENTS);
  for (let i = 0; i < TRAIL_RELOADS + 3; i++) trail.reloaded(i, 5, i % 2 ? "refused" : undefined);
  assert.equal(trail.reloads.length, TRAIL_RELOADS);
  assert.deepEqual(trail.reloads.at(-1), { at: 42, ok: true, version: 12, ms: 5 });
  assert.equal(trail.reloads.at(-2)!.error, "refused");
});
