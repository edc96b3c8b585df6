// The per-worker ticker: alignment, the overlap rules, trigger, halt and its
// counters, with calls of a chosen length on an injected clock.
import assert from "node:assert/strict";
import { EverySchedule, type Overlap } from "../../src/config/schedule.ts";
import { type Tick, Ticker } from "../../src/tasks/ticker.ts";
import { FakeClock } from "../helpers/fake_clock.ts";

/** A ticker on a fake clock whose worker takes `callMs` per call; calls are recorded. */
function setup(periodMs: number, overlap: Overlap, callMs: number) {
  const clock = new FakeClock(Date.parse("2026-06-01T00:00:00Z"));
  const calls: { start: number; end: number; tick: Tick }[] = [];
  const skipped: Tick[] = [];
  const ticker: Ticker = new Ticker(new EverySchedule(periodMs, `${periodMs}ms`), overlap, clock, {
    send(tick) {
      const start = clock.monotonic();
      ticker.started(tick.id);
      calls.push({ start, end: start + callMs, tick });
      clock.setTimer(() => ticker.ended(tick.id, true, callMs, false), callMs);
    },
    skipped: (tick) => skipped.push(tick),
  });
  return { clock, ticker, calls, skipped };
}

Deno.test("ticker: every=300ms makes 7 ticks in 2.1 s, aligned to the start, not to each call's end", () => {
  const { clock, ticker, calls } = setup(300, "skip", 250);
  ticker.begin();
  clock.advance(2100);
  assert.deepEqual(calls.map((c) => c.start - 1000), [300, 600, 900, 1200, 1500, 1800, 2100]);
  const counts = ticker.counts();
  assert.equal(counts.runs, 7);
  assert.equal(counts.skipped, 0);
  assert.equal(counts.inTick, true, "the 2.1 s call still runs");
  assert.equal(counts.nextRun, Date.parse("2026-06-01T00:00:02.400Z"));
});

Deno.test("ticker: overlap=skip never starts a tick while a call runs, and counts the skipped", () => {
  const { clock, ticker, calls, skipped } = setup(200, "skip", 500);
  ticker.begin();
  clock.advance(2000);
  for (let i = 1; i < calls.length; i++) assert.ok(calls[i].start >= calls[i - 1].end);
  // Calls start at 200, 800, 1400, 2000; the ticks at 400, 600, 1000, 1200, 1600, 1800 are skipped.
  assert.deepEqual(calls.map((c) => c.start - 1000), [200, 800, 1400, 2000]);
  assert.equal(skipped.length, 6);
  assert.equal(ticker.counts().skipped, 6);
  assert.equal(ticker.counts().runs, 4);
});

Deno.test("ticker: overlap=queue runs one waiting tick as soon as the call ends", () => {
  const { clock, ticker, calls, skipped } = setup(200, "queue", 500);
  ticker.begin();
  clock.advance(2000);
  // Back to back: each call starts when the previous one ends; one tick waits, more are skipped.
  assert.deepEqual(calls.map((c) => c.start - 1000), [200, 700, 1200, 1700]);
  assert.deepEqual(calls.map((c) => c.tick.due - Date.parse("2026-06-01T00:00:00Z")), [
    200,
    400,
    800,
    1200,
  ]);
  assert.equal(skipped.length, 5, "600, 1000, 1400, 1600, 1800 found one waiting already");
});

Deno.test("ticker: trigger starts a tick now under the overlap rule", async () => {
  const { clock, ticker, calls } = setup(1000, "skip", 300);
  assert.equal(await ticker.trigger(), "not running", "before begin");
  ticker.begin();
  assert.equal(await ticker.trigger(), "started");
  assert.equal(calls[0].start, 1000);
  assert.equal(await ticker.trigger(), "skipped", "the triggered call still runs");
  clock.advance(300);
  assert.equal(await ticker.trigger(), "started");
  clock.advance(700);
  // The schedule was not moved by the triggers: the first tick is due at start + 1 s.
  assert.equal(calls.length, 3);
  assert.equal(calls[2].start, 2000);
  assert.equal(ticker.counts().skipped, 1);
});

Deno.test("ticker: with overlap=queue, trigger queues behind a running call", async () => {
  const { clock, ticker, calls } = setup(10_000, "queue", 300);
  ticker.begin();
  assert.equal(await ticker.trigger(), "started");
  assert.equal(await ticker.trigger(), "queued");
  assert.equal(await ticker.trigger(), "skipped", "at most one waits");
  clock.advance(300);
  assert.deepEqual(calls.map((c) => c.start), [1000, 1300]);
});

Deno.test("ticker: halt stops the ticks and wakes a trigger that waits for its start", async () => {
  const clock = new FakeClock(0);
  const sent: Tick[] = [];
  const ticker = new Ticker(new EverySchedule(100, "100ms"), "queue", clock, {
    send: (tick) => sent.push(tick),
    skipped: () => {},
  });
  ticker.begin();
  const waiting = ticker.trigger(); // the worker never answers
  clock.advance(150); // the tick at 100 is queued
  ticker.halt();
  assert.equal(await waiting, "not running");
  assert.equal(clock.armed, 0, "no timer left");
  ticker.ended(sent[0].id, true, 5, true);
  clock.advance(1000);
  assert.equal(sent.length, 1, "neither the queued tick nor a new one starts");
  assert.equal(ticker.counts().errors, 1, "a call that ends after the halt still counts");
  assert.equal(ticker.counts().nextRun, null);
});

Deno.test("ticker: a tick the stopping worker refused is not a run, and drops the queued one", () => {
  const clock = new FakeClock(0);
  const sent: Tick[] = [];
  const ticker = new Ticker(new EverySchedule(100, "100ms"), "queue", clock, {
    send: (tick) => sent.push(tick),
    skipped: () => {},
  });
  ticker.begin();
  clock.advance(250); // 100 sent, 200 queued
  ticker.ended(sent[0].id, false, 0, false);
  assert.equal(sent.length, 1);
  assert.deepEqual([ticker.counts().runs, ticker.counts().lastDurationMs], [0, null]);
  assert.equal(ticker.ended(sent[0].id, true, 1, false), null, "an unknown tick is ignored");
});

Deno.test("ticker: counters last across a new worker; begin starts its schedule afresh", () => {
  const { clock, ticker, calls } = setup(100, "skip", 10);
  ticker.begin();
  clock.advance(350);
  ticker.halt();
  clock.advance(1000);
  ticker.begin();
  clock.advance(100);
  assert.deepEqual(calls.map((c) => c.start - 1000), [100, 200, 300, 1450]);
  assert.equal(ticker.counts().runs, 4);
});
