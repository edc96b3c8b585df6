// The shared channel's two ends, driven in one thread: a request written by
// the host is read by the worker side, and its answer read back by the host;
// across the wrap of its Int32 counts, and closed while a call waits.
import assert from "node:assert/strict";
import { HostChannel } from "../../src/pool/channel.ts";
import { ASYNC_AFTER_MS, CAPACITY, Field, nextCount } from "../../src/shared/channel_layout.ts";
import { WorkerChannel } from "../../src/worker/channel.ts";

function pair(): [HostChannel, WorkerChannel] {
  const host = new HostChannel();
  return [host, new WorkerChannel(host.buffer)];
}

/**
 * Runs `body` with a timer keeping the event loop alive: Deno does not count
 * a pending `Atomics.waitAsync` as work, and would end the test early.
 */
async function alive<T>(body: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1000);
  try {
    return await body();
  } finally {
    clearInterval(timer);
  }
}

Deno.test("channel: a request and its answer cross unchanged", () =>
  alive(async () => {
    const [host, worker] = pair();
    for (let id = 1; id <= 3; id++) {
      const answer = host.call(id, "echo", `data ${id} ✓ 😀`);
      assert.ok(answer !== null);
      const request = await worker.next();
      assert.deepEqual(request, { id, fn: "echo", data: `data ${id} ✓ 😀` });
      assert.equal(worker.answer("result", JSON.stringify({ id })), true);
      assert.deepEqual(await answer, { kind: "result", text: `{"id":${id}}` });
    }
  }));

Deno.test("channel: a request that does not fit, or is not well-formed Unicode, is not sent", () => {
  const [host] = pair();
  assert.equal(host.call(1, "f", "x".repeat(CAPACITY)), null);
  assert.equal(host.call(2, "f", "lone \ud800 surrogate"), null);
  assert.equal(host.call(3, "\udfff", ""), null);
});

Deno.test("channel: an answer that does not fit is marked to come by message", () =>
  alive(async () => {
    const [host, worker] = pair();
    const answer = host.call(7, "big", "");
    await worker.next();
    assert.equal(worker.answer("result", JSON.stringify("y".repeat(CAPACITY))), false);
    assert.deepEqual(await answer, { kind: "by-message", text: "" });
  }));

Deno.test("channel: errors keep their kind", () =>
  alive(async () => {
    const [host, worker] = pair();
    const answer = host.call(1, "f", "");
    await worker.next();
    worker.answer("threw", '{"name":"Error","message":"boom"}');
    assert.deepEqual(await answer, { kind: "threw", text: '{"name":"Error","message":"boom"}' });
  }));

/** Settles `promise` into a word, or "pending" if it has not settled within `ms`. */
function settledWithin(promise: Promise<unknown>, ms: number): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.then(() => "resolved", (error: Error) => `rejected: ${error.message}`),
    new Promise<string>((resolve) => timer = setTimeout(() => resolve("pending"), ms)),
  ]).finally(() => clearTimeout(timer));
}

Deno.test("channel: the counts and the request id wrap past 2^31 - 1 without losing step", () =>
  alive(async () => {
    const start = 2 ** 31 - 3;
    const host = new HostChannel({ counterStart: start });
    const worker = new WorkerChannel(host.buffer);
    let id = start;
    for (let call = 0; call < 6; call++, id = nextCount(id)) {
      const answer = host.call(id, "echo", `call ${call}`);
      assert.ok(answer !== null);
      const request = await worker.next();
      assert.deepEqual(request, { id, fn: "echo", data: `call ${call}` });
      worker.answer("result", String(call));
      assert.deepEqual(await answer, { kind: "result", text: String(call) });
    }
    assert.ok(id < 0, "the id wrapped");
  }));

Deno.test("channel: closing it ends the wait of a call that will never be answered", async () => {
  const [host, worker] = pair();
  const answer = host.call(1, "hang", "");
  assert.ok(answer !== null);
  await worker.next();
  host.close(); // the call timed out, or its worker died
  assert.equal(
    await settledWithin(answer, 1000),
    "rejected: the shared channel was closed (request 1)",
  );
});

Deno.test("channel: a worker end made before any request has nothing to read, whatever the start", () =>
  alive(async () => {
    const host = new HostChannel({ counterStart: 12_345 });
    const worker = new WorkerChannel(host.buffer);
    const next = worker.next();
    assert.equal(await settledWithin(next, 100), "pending");
    const answer = host.call(7, "f", "d");
    assert.deepEqual(await next, { id: 7, fn: "f", data: "d" });
    worker.answer("result", "1");
    assert.deepEqual(await answer, { kind: "result", text: "1" });
  }));

Deno.test("channel: an idle worker end waits asynchronously, and blocks again once calls come", () =>
  alive(async () => {
    let now = 1_000;
    const host = new HostChannel();
    const worker = new WorkerChannel(host.buffer, { now: () => now });
    assert.equal(worker.waiting, "block");
    now += ASYNC_AFTER_MS;
    assert.equal(worker.waiting, "async");
    // Nothing blocks the thread now: the host's call, made later, wakes the wait.
    const next = worker.next();
    assert.equal(await settledWithin(next, 50), "pending");
    const answer = host.call(1, "f", "d");
    assert.deepEqual(await next, { id: 1, fn: "f", data: "d" });
    assert.equal(worker.waiting, "block");
    now += 7;
    worker.answer("result", "1");
    assert.deepEqual(await answer, { kind: "result", text: "1" });
  }));

Deno.test("channel: the worker reports how long it ran a call", () =>
  alive(async () => {
    let now = 0;
    const host = new HostChannel();
    const worker = new WorkerChannel(host.buffer, { now: () => now });
    const answer = host.call(1, "f", "");
    await worker.next();
    now += 0.012; // 12 µs
    worker.answer("result", "null");
    await answer;
    assert.equal(new Int32Array(host.buffer, 0, 16)[Field.RUN_US], 12);
  }));
