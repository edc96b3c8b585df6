// The RPC pool's queue: order, calls whose client has gone, taking all.
import assert from "node:assert/strict";
import { type Job, JobQueue } from "../../src/pool/job.ts";
import { RpcCode, type RpcError } from "../../src/rpc/errors.ts";

function job(id: number, signal?: AbortSignal): Job & { refused: RpcError[] } {
  const refused: RpcError[] = [];
  return {
    id,
    fn: "f",
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
  assert.equal(dropped.refused[0].code, RpcCode.BUSY);
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
