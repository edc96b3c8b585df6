// A connection's call slots: counted at once, handed over in order, and
// released for good when the connection closes.
import assert from "node:assert/strict";
import { CallPermits } from "../../src/rpc/call_permits.ts";

Deno.test("call slots: a free slot is counted synchronously; past the limit takers wait", async () => {
  const slots = new CallPermits(2);
  const order: number[] = [];
  for (let i = 0; i < 5; i++) slots.take().then(() => order.push(i));
  assert.equal(slots.held, 2, "counted before any await");
  assert.equal(slots.waiting, 3);
  assert.equal(slots.full, true);
  await Promise.resolve();
  assert.deepEqual(order, [0, 1]);
  slots.give();
  await Promise.resolve();
  assert.deepEqual(order, [0, 1, 2], "first come, first served");
  assert.equal(slots.held, 2, "a slot given back to a waiter stays held");
  slots.give();
  slots.give();
  slots.give();
  await Promise.resolve();
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  assert.equal(slots.held, 1);
  assert.equal(slots.full, false);
  slots.give();
  slots.give();
  assert.equal(slots.held, 0, "never below zero");
});

Deno.test("call slots: a full set is full even when a slot frees while others wait", () => {
  const slots = new CallPermits(1);
  slots.take();
  slots.take();
  assert.equal(slots.full, true);
  slots.give();
  assert.equal(slots.held, 1);
  assert.equal(slots.waiting, 0);
  assert.equal(slots.full, true);
  slots.give();
  assert.equal(slots.full, false);
});

Deno.test("call slots: closing lets every waiter through, and later takers too", async () => {
  const slots = new CallPermits(1);
  let through = 0;
  for (let i = 0; i < 4; i++) slots.take().then(() => through++);
  slots.close();
  await slots.take();
  await Promise.resolve();
  assert.equal(through, 4);
  assert.equal(slots.waiting, 0);
  assert.equal(slots.held, 0);
});
