// The pool's respawn backoff: at once after a timeout, doubling per failure
// in a row after a crash or a failed load, one error per streak.
import assert from "node:assert/strict";
import { FIRST_DELAY_MS, MAX_DELAY_MS, RespawnBackoff } from "../../src/pool/respawn.ts";

Deno.test("respawn: a timed-out worker is replaced at once, and logged", () => {
  const backoff = new RespawnBackoff();
  assert.deepEqual(backoff.lost(0, false), { delayMs: 0, first: true });
  assert.deepEqual(backoff.lost(0, false), { delayMs: 0, first: true });
});

Deno.test("respawn: failures in a row double the delay, up to the most; one error per streak", () => {
  const backoff = new RespawnBackoff();
  const delays = Array.from({ length: 9 }, () => backoff.lost(1, true));
  assert.deepEqual(delays.map((d) => d.delayMs), [
    FIRST_DELAY_MS,
    2 * FIRST_DELAY_MS,
    4 * FIRST_DELAY_MS,
    8 * FIRST_DELAY_MS,
    16 * FIRST_DELAY_MS,
    32 * FIRST_DELAY_MS,
    MAX_DELAY_MS,
    MAX_DELAY_MS,
    MAX_DELAY_MS,
  ]);
  assert.deepEqual(delays.map((d) => d.first), [
    true,
    false,
    false,
    false,
    false,
    false,
    false,
    false,
    false,
  ]);
  assert.equal(backoff.lost(2, true).delayMs, FIRST_DELAY_MS, "another member has its own streak");
  backoff.loaded(1);
  assert.deepEqual(backoff.lost(1, true), { delayMs: FIRST_DELAY_MS, first: true });
});
