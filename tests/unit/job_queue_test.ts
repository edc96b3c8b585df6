// The RPC pool's queue: order, calls whose client has gone, refused calls,
// taking all.
import assert from "node:assert/strict";
import { type Job, JobQueue } from "../../src/pool/job.ts";
import { StuckFunctions } from "../../src/pool/stuck_bound.ts";
import type { PoolError } from "../../src/pool/pool_error.ts";

function job(id: number, signal?: AbortSignal, fn = "f"): Job & { refused: PoolError[] } {
  const refused: PoolError[] = [];
  return {
    id,
    fn,
    data: "",
    resolve() {},
    reject: (error) => refused.push(error),
    signal,
    refused,
  };
}

Deno.test("job queue: first in, first out", () => {
  const queue = new JobQueue();
  queue.push(job(1), job(2), job(3));
  assert.equal(queue.length, 3);
  assert.deepEqual([queue.next()?.id, queue.next()?.id, queue.next()?.id], [1, 2, 3]);
  assert.equal(queue.next(), undefined);
  assert.equal(queue.length, 0);
});

Deno.test("job queue: a call whose client has gone is answered busy and skipped", () => {
  const queue = new JobQueue();
  const gone = new AbortController();
  const dropped = job(1, gone.signal);
  queue.push(dropped, job(2));
  gone.abort();
  assert.equal(queue.next()?.id, 2);
  assert.equal(dropped.refused.length, 1);
  assert.equal(dropped.refused[0].kind, "busy");
});

Deno.test("job queue: stays in order across its compaction, and takeAll empties it", () => {
  const queue = new JobQueue();
  for (let id = 0; id < 5000; id++) queue.push(job(id));
  for (let id = 0; id < 3000; id++) assert.equal(queue.next()?.id, id);
  assert.equal(queue.length, 2000);
  const rest = queue.takeAll();
  assert.deepEqual([rest[0].id, rest.at(-1)?.id, rest.length], [3000, 4999, 2000]);
  assert.equal(queue.length, 0);
});

Deno.test("job queue: keeps no call it has handed out (checked with a forced GC)", async () => {
  // A child isolate with --expose-gc: 1,000 calls go in and out one at a time, as under a stream
  // of timeouts; then none may still be reachable. Before the fix the queue kept up to 1,024 of
  // them, each with its promise, closures and error (about 1.8 KB each in the host).
  const code = `
    import { JobQueue } from ${
    JSON.stringify(new URL("../../src/pool/job.ts", import.meta.url).href)
  };
    const queue = new JobQueue();
    const refs = [];
    const pass = (id) => {
      const job = { id, fn: "f", data: "", resolve() {}, reject() {}, answer: new Array(64).fill(id) };
      refs.push(new WeakRef(job));
      queue.push(job);
      return queue.next() === job;
    };
    for (let id = 0; id < 1000; id++) if (!pass(id)) throw new Error("out of order");
    await new Promise((resolve) => setTimeout(resolve, 0));
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
    globalThis.gc();
    console.log(refs.filter((ref) => ref.deref() !== undefined).length);
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--expose-gc", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "0", "calls still reachable");
});

Deno.test("job queue: a call of a refused function is answered with its refusal and skipped", () => {
  const queue = new JobQueue();
  const stuck = new StuckFunctions(() => Date.UTC(2030, 0, 2, 3, 4, 5));
  const rule = (queued: Job) => stuck.refusal(queued.fn);
  queue.push(job(1, undefined, "spin"), job(2));
  assert.equal(queue.next(rule)?.id, 1, "nothing refused yet");
  const refused = job(3, undefined, "spin");
  queue.push(refused, job(4));
  stuck.timedOut("spin");
  stuck.judged("spin", true);
  assert.equal(queue.next(rule)?.id, 2);
  assert.equal(queue.next(rule)?.id, 4);
  assert.equal(refused.refused.length, 1);
  assert.equal(refused.refused[0].kind, "refused");
  assert.equal(
    refused.refused[0].message,
    "spin is refused: a run of it got its worker stuck in synchronous code at " +
      "2030-01-02T03:04:05.000Z, which Deno cannot stop; fix it and run evrexec.reload, " +
      "or restart the host",
  );
});

Deno.test("stuck functions: a timed-out function is held back until its worker's verdict", () => {
  const stuck = new StuckFunctions(() => Date.UTC(2030, 0, 2, 3, 4, 5));
  stuck.timedOut("spin");
  stuck.timedOut("slow");
  assert.equal(stuck.refusal("spin"), null, "held back, not refused");
  const held = stuck.heldRefusal("spin");
  assert.equal(held?.kind, "refused");
  assert.equal(
    held?.message,
    "spin is refused for now: a run of it timed out at 2030-01-02T03:04:05.000Z and its worker " +
      "has not ended yet (Deno cannot stop synchronous code); it is taken again once that " +
      "worker has ended, refused until evrexec.reload if it is stuck",
  );
  assert.deepEqual(stuck.held, ["spin", "slow"]);
  stuck.judged("slow", false);
  assert.equal(stuck.heldRefusal("slow"), null, "its worker ended: taken again");
  stuck.judged("spin", true);
  assert.match(
    stuck.refusal("spin")?.message ?? "",
    /^spin is refused: a run of it got its worker stuck/,
  );
  assert.deepEqual([stuck.held, stuck.refused], [[], ["spin"]]);
});
