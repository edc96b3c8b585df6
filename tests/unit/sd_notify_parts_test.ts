// The pure parts of the systemd notify client: reading NOTIFY_SOCKET and
// the watchdog variables, STATUS= lines, and the MONOTONIC_USEC clock,
// driven on a simulated machine (its monotonic and boot clocks, suspends,
// a jittery timer) so the bound can be checked at every step.
import assert from "node:assert/strict";
import fc from "fast-check";
import { type ClockSources, MonotonicClock } from "../../src/base/monotonic_clock.ts";
import { parseNotifySocket } from "../../src/base/notify_address.ts";
import { MAX_STATUS_CHARS, statusText, watchdogUsec } from "../../src/base/sd_notify.ts";

Deno.test("NOTIFY_SOCKET: a path, an abstract name, or nothing", () => {
  assert.equal(parseNotifySocket(undefined), null);
  assert.equal(parseNotifySocket(""), null);
  assert.deepEqual(parseNotifySocket("/run/systemd/notify"), {
    kind: "path",
    path: "/run/systemd/notify",
    shown: "/run/systemd/notify",
  });
  assert.deepEqual(parseNotifySocket("@sd-notify/42"), {
    kind: "abstract",
    path: "\0sd-notify/42",
    shown: "@sd-notify/42",
  });
});

Deno.test("NOTIFY_SOCKET: what cannot be used is one reason, quoting at most 100 characters", () => {
  for (const value of ["vsock:2:1234", "run/notify", "@", `/${"x".repeat(107)}`, "/a\0b"]) {
    const address = parseNotifySocket(value);
    assert.equal(address?.kind, "unsupported", value);
    if (address?.kind === "unsupported") assert.ok(address.reason.length < 250, address.reason);
  }
  const long = parseNotifySocket(`/${"x".repeat(500)}`);
  assert.match(long?.kind === "unsupported" ? long.reason : "", /is 501 bytes, over the 107/);
  assert.equal(parseNotifySocket(`/${"x".repeat(106)}`)?.kind, "path");
});

Deno.test("WATCHDOG_USEC and WATCHDOG_PID: set for this process, or no watchdog", () => {
  assert.equal(watchdogUsec("30000000", undefined, 7), 30_000_000);
  assert.equal(watchdogUsec("30000000", "7", 7), 30_000_000);
  assert.equal(watchdogUsec("30000000", "", 7), 30_000_000);
  assert.equal(watchdogUsec("30000000", "8", 7), null);
  for (const bad of [undefined, "", "0", "-5", "1.5", "12abc", " 5", "99999999999999999"]) {
    assert.equal(watchdogUsec(bad, undefined, 7), null, String(bad));
  }
});

Deno.test("STATUS=: one line, cut to its limit", () => {
  assert.equal(statusText("a\nb\r\tc\u0000d"), "a b  c d");
  assert.equal(statusText("é".repeat(MAX_STATUS_CHARS + 5)), "é".repeat(MAX_STATUS_CHARS));
  assert.equal([...statusText("😀".repeat(MAX_STATUS_CHARS + 1))].length, MAX_STATUS_CHARS);
});

/** A machine: monotonic time in µs from its boot, suspends that add to the boot clock only. */
class Machine implements ClockSources {
  monoUs: number;
  suspendedUs = 0;
  readonly #startUs: number;
  readonly #jitterMs: () => number;
  permitted = true;

  constructor(bootedUs: number, jitterMs: () => number) {
    this.monoUs = this.#startUs = bootedUs;
    this.#jitterMs = jitterMs;
  }

  uptimeSeconds(): number | null {
    return this.permitted ? Math.ceil((this.monoUs + this.suspendedUs) / 1e6) : null;
  }

  nowMs(): number {
    return (this.monoUs - this.#startUs) / 1000;
  }

  sleep(ms: number): Promise<void> {
    this.monoUs += (ms + this.#jitterMs()) * 1000;
    return Promise.resolve();
  }
}

Deno.test("MonotonicClock: never below the monotonic clock, never backwards, within 1 s + suspends", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 10 ** 13 }), // booted this many µs ago
      fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 10 ** 8 }))),
      async (booted, steps) => {
        const machine = new Machine(booted, () => 0);
        const clock = new MonotonicClock(machine);
        let last = 0n;
        for (const [ms, suspendUs] of steps) {
          await machine.sleep(ms);
          machine.suspendedUs += suspendUs;
          const now = clock.nowUs()!;
          assert.ok(now >= BigInt(Math.floor(machine.monoUs)), "below CLOCK_MONOTONIC");
          assert.ok(now >= last, "went backwards");
          last = now;
        }
        const first = clock.nowUs()!;
        // Its error is fixed at the first read: the rounding, and suspends before it.
        assert.ok(Number(first) - machine.monoUs <= 1e6 + (steps[0]?.[1] ?? 0) + 1);
      },
    ),
  );
});

Deno.test("MonotonicClock: refined, it is within one polling step (plus suspends) of the clock", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 10 ** 13 }),
      fc.integer({ min: 0, max: 20 }), // how late each timer fires, ms
      fc.integer({ min: 0, max: 10 ** 9 }), // suspended before the start
      async (booted, late, suspended) => {
        const machine = new Machine(booted, () => late);
        machine.suspendedUs = suspended;
        const clock = new MonotonicClock(machine);
        assert.equal(await clock.refine(), true);
        assert.ok(clock.refined);
        const error = Number(clock.nowUs()!) - machine.monoUs;
        assert.ok(error >= 0, `${error} µs below`);
        assert.ok(error <= suspended + (2 + late) * 1000 + 1, `${error} µs above`);
        const before = clock.nowUs()!;
        await machine.sleep(1234);
        const moved = Number(clock.nowUs()! - before) - (1_234_000 + late * 1000);
        assert.ok(Math.abs(moved) <= 1, `moved ${moved} µs more than the clock`);
      },
    ),
  );
});

Deno.test("MonotonicClock: without the uptime (no --allow-sys=osUptime) it says null", async () => {
  const machine = new Machine(5e6, () => 0);
  machine.permitted = false;
  const clock = new MonotonicClock(machine);
  assert.equal(clock.nowUs(), null);
  assert.equal(await clock.refine(), false);
  assert.equal(clock.refined, false);
});
