// The hop's waiting rule, driven call by call on a clock of its own: when
// it spins and for how long, and how failed spins back off.
import assert from "node:assert/strict";
import {
  HopPolicy,
  MAX_BACKOFF_CALLS,
  MAX_SPIN_US,
  MIN_QUIET_US,
  QUICK_RUN_US,
  WAKE_ALLOWANCE_US,
} from "../../src/pool/hop_policy.ts";

/** A clock in ms that only moves when told, and a policy on it. */
function policy(): { p: HopPolicy; pass(us: number): void } {
  let now = 1_000;
  return { p: new HopPolicy({ now: () => now }), pass: (us) => now += us / 1000 };
}

/** A quiet moment (one client's round trip), then one call of `fn` that ran `runUs`. */
function call(
  { p, pass }: ReturnType<typeof policy>,
  fn: string,
  runUs: number,
  caught = true,
): number {
  pass(MIN_QUIET_US + 10);
  const spin = p.spinUs(fn);
  p.started();
  pass(runUs);
  p.ended(fn, runUs, spin > 0, caught);
  return spin;
}

Deno.test("hop policy: a function never run yet is waited for asynchronously", () => {
  const { p } = policy();
  assert.equal(p.spinUs("echo"), 0);
  assert.equal(p.runUs("echo"), undefined);
});

Deno.test("hop policy: a quick function alone in flight gets the wake allowance plus twice its run", () => {
  const clock = policy();
  call(clock, "echo", 4);
  assert.equal(call(clock, "echo", 4), WAKE_ALLOWANCE_US + 8);
  call(clock, "slowish", QUICK_RUN_US);
  assert.equal(
    call(clock, "slowish", QUICK_RUN_US),
    Math.min(MAX_SPIN_US, WAKE_ALLOWANCE_US + 2 * QUICK_RUN_US),
  );
});

Deno.test("hop policy: a call that follows the last one closer than the quiet time is not spun for", () => {
  const clock = policy();
  call(clock, "echo", 4);
  clock.pass(MIN_QUIET_US - 1); // another client's request was waiting
  assert.equal(clock.p.spinUs("echo"), 0);
  clock.pass(2);
  assert.ok(clock.p.spinUs("echo") > 0);
});

Deno.test("hop policy: no spin while another call is in flight", () => {
  const clock = policy();
  const { p } = clock;
  call(clock, "echo", 4);
  p.started(); // another call, still running
  clock.pass(1000);
  assert.equal(p.spinUs("echo"), 0);
  p.ended("echo", 4);
  clock.pass(MIN_QUIET_US + 1);
  assert.ok(p.spinUs("echo") > 0);
  assert.equal(p.inFlight, 0);
});

Deno.test("hop policy: a slow function is never spun for; its estimate comes down as it speeds up", () => {
  const clock = policy();
  call(clock, "work", 5000);
  assert.equal(call(clock, "work", 5000), 0);
  let calls = 0;
  while (call(clock, "work", 2) === 0) {
    calls++;
    assert.ok(calls < 50, "the estimate must come down");
  }
  assert.ok((clock.p.runUs("work") ?? Infinity) <= QUICK_RUN_US);
});

Deno.test("hop policy: failed spins back off 1, 2, 4 … calls, up to the cap; a caught one resets", () => {
  const clock = policy();
  call(clock, "echo", 4);
  assert.ok(call(clock, "echo", 4, false) > 0, "the first spin is tried, and fails");
  const skipped: number[] = [];
  for (let failure = 0; failure < 11; failure++) {
    let skips = 0;
    while (call(clock, "echo", 4, false) === 0) skips++; // then one more spin, failed too
    skipped.push(skips);
  }
  assert.deepEqual(skipped, [1, 2, 4, 8, 16, 32, 64, 128, 256, 256, 256]);
  assert.equal(skipped.at(-1), MAX_BACKOFF_CALLS);
  while (call(clock, "echo", 4, true) === 0); // the back-off ends with a spin that catches
  assert.ok(call(clock, "echo", 4, false) > 0, "after a caught spin the next is tried at once");
  assert.equal(clock.p.skipping, 1, "and a failure starts the back-off over");
});

Deno.test("hop policy: a closed channel's call leaves the count of calls in flight right", () => {
  const { p } = policy();
  p.started();
  p.abandoned();
  p.abandoned(); // once too often: the count does not go negative
  assert.equal(p.inFlight, 0);
});
