// The fleet's fire times and catch-up, and the estimate of the database's
// clock: pure computations, checked on fixed times.
import assert from "node:assert/strict";
import { missedFires, nextFire } from "../../src/cluster/catchup.ts";
import { DbClock } from "../../src/cluster/db_clock.ts";
import { everyFireTimes, fleetFireTimes } from "../../src/cluster/fire_times.ts";
import { parseCron, parseEvery } from "../../src/config/schedule.ts";

const T = Date.UTC(2026, 0, 10, 12, 0, 0); // a whole minute

Deno.test("fire times: every= is aligned to the epoch, so every host computes the same keys", () => {
  const times = fleetFireTimes(parseEvery("1s"));
  assert.equal(times.text, "every=1s");
  assert.equal(times.after(T), T + 1000);
  assert.equal(times.after(T + 1), T + 1000);
  assert.equal(times.after(T + 999), T + 1000);
  const seven = everyFireTimes(7_000);
  assert.equal(seven.after(T)! % 7_000, 0);
  assert.throws(() => everyFireTimes(0), RangeError);
  assert.throws(() => everyFireTimes(1.5), RangeError);
});

Deno.test("fire times: cron= fires at its expression's times in its zone", () => {
  const times = fleetFireTimes(parseCron("*/15 * * * * *", "UTC"));
  assert.equal(times.after(T), T + 15_000);
  assert.equal(times.after(T + 15_000), T + 30_000);
  const berlin = fleetFireTimes(parseCron("0 30 2 * * *", "Europe/Berlin"));
  assert.equal(new Date(berlin.after(T)!).toISOString(), "2026-01-11T01:30:00.000Z");
});

Deno.test("catch-up: a host stopped across five fires runs 0, 1 or all 5 of them", () => {
  const times = everyFireTimes(1_000);
  const last = T; // the last fire recorded before the stop
  const now = T + 5_500; // restarted: fires T+1s … T+5s were missed
  const window = { windowMs: 60_000 };
  assert.deepEqual(missedFires(times, last, now, { mode: "skip", ...window }), []);
  assert.deepEqual(missedFires(times, last, now, { mode: "once", ...window }), [T + 5_000]);
  assert.deepEqual(missedFires(times, last, now, { mode: "all", ...window }), [
    T + 1_000,
    T + 2_000,
    T + 3_000,
    T + 4_000,
    T + 5_000,
  ]);
  // Only fires within the window count.
  assert.deepEqual(missedFires(times, last, now, { mode: "all", windowMs: 2_500 }), [
    T + 3_000,
    T + 4_000,
    T + 5_000,
  ]);
  assert.deepEqual(missedFires(times, last, now, { mode: "once", windowMs: 100 }), []);
  // A task that never fired missed nothing; a fire exactly now is due, not missed twice.
  assert.deepEqual(missedFires(times, null, now, { mode: "all", ...window }), []);
  assert.deepEqual(missedFires(times, T + 5_000, T + 5_000, { mode: "all", ...window }), []);
  // catchup=all is bounded: the latest fires are kept.
  const many = missedFires(times, T, T + 5_000_000, { mode: "all", windowMs: 1e9 }, 3);
  assert.deepEqual(many, [T + 4_998_000, T + 4_999_000, T + 5_000_000]);
});

Deno.test("catch-up: the next fire follows both the last recorded one and now", () => {
  const times = everyFireTimes(1_000);
  assert.equal(nextFire(times, null, T + 10), T + 1_000);
  assert.equal(
    nextFire(times, T + 3_000, T + 10),
    T + 4_000,
    "a fire ahead of our clock is not run again",
  );
  assert.equal(nextFire(times, T, T + 2_500), T + 3_000);
});

Deno.test("database clock: the shortest round trip is trusted", () => {
  let mono = 100;
  const clock = new DbClock(() => mono);
  assert.equal(clock.now(), null);
  clock.observe(100, 140, T + 20); // 40 ms round trip: db = mono + T - 100
  assert.equal(clock.now(), T);
  assert.equal(clock.uncertaintyMs(), 20);
  clock.observe(200, 400, T + 999_999); // a slow, wild sample is not trusted
  mono = 1_100;
  assert.equal(clock.now(), T + 1_000);
  clock.observe(1_100, 1_104, T + 1_050); // a faster one is
  assert.equal(clock.now(), T + 1_048);
  assert.equal(clock.monotonicAt(T + 1_048), 1_100);
});

Deno.test("catch-up: every= over a huge window is counted, not walked, and keeps the latest", () => {
  const times = everyFireTimes(1);
  const started = performance.now();
  const fires = missedFires(times, T - 86_400_000, T, { mode: "all", windowMs: 86_400_000 }, 2);
  assert.deepEqual(fires, [T - 1, T]);
  assert.deepEqual(missedFires(times, 0, T, { mode: "once", windowMs: 86_400_000 }), [T]);
  assert.ok(performance.now() - started < 50);
});
