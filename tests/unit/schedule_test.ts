// Schedules: `every=` and `cron=`/`tz=` as read from the spec, and the ticks
// they make due, driven by an injected clock across the 2026 DST changes.
import assert from "node:assert/strict";
import { ConfigError } from "../../src/base/errors.ts";
import {
  EverySchedule,
  parseCron,
  parseEvery,
  parseZone,
  type Schedule,
} from "../../src/config/schedule.ts";
import { Ticker } from "../../src/tasks/ticker.ts";
import { FakeClock } from "../helpers/fake_clock.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The due times (ms since the epoch) of every tick within `ms` of `startIso`. */
function ticksOver(schedule: Schedule, startIso: string, ms: number): number[] {
  const clock = new FakeClock(Date.parse(startIso));
  const due: number[] = [];
  const ticker = new Ticker(schedule, "skip", clock, {
    send(tick) {
      due.push(tick.due);
      ticker.started(tick.id);
      ticker.ended(tick.id, true, 1, false);
    },
    skipped: () => assert.fail("no tick may be skipped"),
  });
  ticker.begin();
  clock.advance(ms);
  return due;
}

/** A wall-clock time as `YYYY-MM-DD HH:MM` in `zone`, and its UTC offset. */
function local(ms: number, zone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "shortOffset",
  }).formatToParts(ms);
  const part = (type: string) => parts.find((p) => p.type === type)?.value;
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")} ${
    part("timeZoneName")
  }`;
}

Deno.test("every: ticks at start + k × period, whatever the calls took", () => {
  const every = parseEvery("300ms");
  assert.equal(every.periodMs, 300);
  assert.equal(every.first(1000), 1300);
  assert.deepEqual(every.next(1300, 1301), { at: 1600, missed: 0 });
  // Fired 2.5 periods late: the latest due tick starts now, the one before it is missed.
  assert.deepEqual(every.next(1300, 2050), { at: 1900, missed: 1 });
  assert.deepEqual(
    [parseEvery("10s").periodMs, parseEvery("5m").periodMs, parseEvery("24h").periodMs],
    [10_000, 300_000, DAY],
  );
});

Deno.test("every: bad durations are ConfigErrors naming what was expected", () => {
  const cases: [string, RegExp][] = [
    ["0ms", /every must be an integer from 1 to 86400000 \(ms\), got "0"/],
    ["0s", /every must be an integer from 1 to 86400 \(s\), got "0"/],
    ["25h", /every must be an integer from 1 to 24 \(h\), got "25"/],
    ["10", /every must be a whole number with a unit ms, s, m or h/],
    ["5d", /with a unit ms, s, m or h \(as 500ms or 10s\), got "5d"/],
    ["1.5s", /with a unit/],
    ["", /with a unit/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(
      () => parseEvery(text),
      (e) => e instanceof ConfigError && pattern.test(e.message),
    );
  }
});

Deno.test("cron and tz: bad expressions and zones are ConfigErrors", () => {
  assert.equal(parseZone("europe/berlin"), "Europe/Berlin");
  const cases: [() => unknown, RegExp][] = [
    [() => parseCron("* * * *", "UTC"), /cron "\* \* \* \*": .*five, six/],
    [() => parseCron("* * * * * * *", "UTC"), /requires exactly 5 or 6 parts/],
    [() => parseCron("61 * * * *", "UTC"), /Invalid value for minute: 61/],
    [() => parseCron("0 0 30 2 *", "UTC"), /cron "0 0 30 2 \*" never fires/],
    [
      () => parseCron("* * * * *", "Mars/Olympus"),
      /tz must be an IANA time zone .* "Mars\/Olympus"/,
    ],
    [() => parseZone("+01:00"), /tz must be an IANA time zone/],
  ];
  for (const [parse, pattern] of cases) {
    assert.throws(parse, (e) => e instanceof ConfigError && pattern.test(e.message));
  }
});

Deno.test("cron: the zone defaults to the host's local one", () => {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  assert.equal(parseCron("* * * * *", undefined).text, `cron=* * * * * tz=${zone}`);
});

Deno.test("cron: 6 fields fire each second on the second", () => {
  const due = ticksOver(parseCron("* * * * * *", "UTC"), "2026-06-01T00:00:00.250Z", 5_000);
  assert.deepEqual(due.map((t) => new Date(t).toISOString()), [
    "2026-06-01T00:00:01.000Z",
    "2026-06-01T00:00:02.000Z",
    "2026-06-01T00:00:03.000Z",
    "2026-06-01T00:00:04.000Z",
    "2026-06-01T00:00:05.000Z",
  ]);
});

const DST_2026: [string, string, string][] = [
  // zone, spring-forward night, fall-back night (local dates)
  ["America/New_York", "2026-03-08", "2026-11-01"],
  ["Europe/Berlin", "2026-03-29", "2026-10-25"],
];

for (const [zone, spring, fall] of DST_2026) {
  Deno.test(`cron tz=${zone}: a 02:30 daily job runs once on each 2026 DST night`, () => {
    const schedule = parseCron("30 2 * * *", zone);
    for (const night of [spring, fall]) {
      const start = new Date(Date.parse(`${night}T12:00:00Z`) - 2 * DAY).toISOString();
      const runs = ticksOver(schedule, start, 4 * DAY).map((t) => local(t, zone));
      assert.equal(runs.length, 4, runs.join(", "));
      const thatNight = runs.filter((r) => r.startsWith(night));
      assert.equal(thatNight.length, 1, `one run on ${night}: ${runs.join(", ")}`);
      // 02:30 does not exist on spring-forward night: it runs when the clock has jumped, at 03:00.
      assert.match(thatNight[0], night === spring ? / 03:00 / : / 02:30 /);
      for (const other of runs.filter((r) => !r.startsWith(night))) assert.match(other, / 02:30 /);
    }
  });

  Deno.test(`cron tz=${zone}: an hourly job keeps to local hours across both 2026 changes`, () => {
    for (const night of [spring, fall]) {
      const start = new Date(Date.parse(`${night}T00:00:00Z`) - 12 * HOUR).toISOString();
      const runs = ticksOver(parseCron("0 * * * *", zone), start, 2 * DAY);
      // An interval job fires every real hour: 24 local hours a day lose or gain one.
      assert.equal(runs.length, 48, `48 hourly runs in 48 h around ${night}`);
      for (let i = 1; i < runs.length; i++) assert.equal(runs[i] - runs[i - 1], HOUR);
    }
  });
}

Deno.test("every: a step of the wall clock moves no tick", () => {
  const clock = new FakeClock(Date.parse("2026-06-01T00:00:00Z"));
  const monotonicDue: number[] = [];
  const ticker = new Ticker(new EverySchedule(1000, "1s"), "skip", clock, {
    send(tick) {
      monotonicDue.push(clock.monotonic());
      ticker.started(tick.id);
      ticker.ended(tick.id, true, 1, false);
    },
    skipped: () => assert.fail("no skip"),
  });
  ticker.begin();
  clock.advance(2500);
  clock.step(HOUR); // forward one hour
  clock.advance(1000);
  clock.step(-2 * HOUR); // back two hours
  clock.advance(1500);
  assert.deepEqual(monotonicDue, [2000, 3000, 4000, 5000, 6000]);
  assert.equal(ticker.counts().skipped, 0);
});

Deno.test("cron: a wall clock set back never fires early; set forward, the missed ticks count", () => {
  const clock = new FakeClock(Date.parse("2026-06-01T00:00:00.500Z"));
  const due: number[] = [];
  const ticker = new Ticker(parseCron("*/10 * * * * *", "UTC"), "skip", clock, {
    send(tick) {
      assert.ok(clock.wall() >= tick.due, "never before its time");
      due.push(tick.due);
      ticker.started(tick.id);
      ticker.ended(tick.id, true, 1, false);
    },
    skipped: () => assert.fail("no overlap here"),
  });
  ticker.begin();
  clock.advance(5_000); // 00:00:05.5, next tick 00:00:10
  clock.step(-60_000); // back to 23:59:05.5 the day before
  clock.advance(30_000); // wall 23:59:35.5: the 00:00:10 tick is not due yet
  assert.deepEqual(due, []);
  clock.advance(35_000); // wall 00:00:10.5
  assert.deepEqual(due.map((t) => new Date(t).toISOString()), ["2026-06-01T00:00:10.000Z"]);
  clock.step(10 * 60_000); // 00:10:10.5, the timer set for 00:00:20 fires at 00:10:20
  clock.advance(10_000);
  assert.deepEqual(due.map((t) => new Date(t).toISOString()), [
    "2026-06-01T00:00:10.000Z",
    "2026-06-01T00:10:20.000Z", // only the latest due tick starts
  ]);
  assert.equal(ticker.counts().skipped, 60, "00:00:20 to 00:10:10 are missed and counted");
  clock.step(DAY); // a day ahead: the count stops at 100, the next tick is still the latest
  clock.advance(60_000); // the timer sleeps at most a minute, so it notices
  assert.equal(new Date(due[2]).toISOString(), "2026-06-02T00:10:30.000Z");
  assert.ok(ticker.counts().skipped >= 160, String(ticker.counts().skipped));
  assert.equal(due.length, 3 + 5, "then every 10 s again, up to 00:11:20");
});

Deno.test("cron tz=America/New_York: a job in the hour that repeats on fall-back runs once", () => {
  const runs = ticksOver(parseCron("30 1 * * *", "America/New_York"), "2026-10-31T12:00:00Z", DAY)
    .map((t) => local(t, "America/New_York"));
  assert.deepEqual(runs, ["2026-11-01 01:30 GMT-4"], "the first 01:30 (EDT) only");
});
