// The one backoff: doubling per failure in a row, up to the most, one streak
// per slot, reset when the slot is well again; with the pool's figures.
import assert from "node:assert/strict";
import { Backoff } from "../../src/base/backoff.ts";
import { RESPAWN_FIRST_MS, RESPAWN_MAX_MS } from "../../src/pool/pool.ts";

Deno.test("backoff: failures in a row double the delay up to the most; the first of a streak is 0", () => {
  const backoff = new Backoff(RESPAWN_FIRST_MS, RESPAWN_MAX_MS);
  const tries = Array.from({ length: 9 }, () => backoff.failed(1));
  assert.deepEqual(tries.map((t) => t.delayMs), [
    RESPAWN_FIRST_MS,
    2 * RESPAWN_FIRST_MS,
    4 * RESPAWN_FIRST_MS,
    8 * RESPAWN_FIRST_MS,
    16 * RESPAWN_FIRST_MS,
    32 * RESPAWN_FIRST_MS,
    RESPAWN_MAX_MS,
    RESPAWN_MAX_MS,
    RESPAWN_MAX_MS,
  ]);
  assert.deepEqual(tries.map((t) => t.streak), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
});

Deno.test("backoff: each slot has its own streak; reset and clear start anew", () => {
  const backoff = new Backoff(100, 30_000);
  backoff.failed(1);
  backoff.failed(1);
  assert.deepEqual(backoff.failed(2), { delayMs: 100, streak: 0 }, "another slot");
  assert.deepEqual(backoff.failed(1), { delayMs: 400, streak: 2 });
  backoff.reset(1);
  assert.deepEqual(backoff.failed(1), { delayMs: 100, streak: 0 });
  backoff.clear();
  assert.deepEqual(backoff.failed(2), { delayMs: 100, streak: 0 });
});
