// The durable call queue (evrexec.submit / evrexec.result) against a real,
// throwaway PostgreSQL: claims by concurrent hosts, idempotency keys, leases
// of attempts with fencing, results waited for through LISTEN/NOTIFY or by
// polling. Each step works in a schema of its own.
import assert from "node:assert/strict";
import { type ClusterStore, openClusterStore } from "../../src/cluster/store.ts";
import { postgresSkip, startPostgres, type TestPostgres } from "../helpers/postgres.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let schemas = 0;
const freshSchema = () => `j${Date.now() % 100000}_${++schemas}`;

async function withStores<T>(
  server: TestPostgres,
  count: number,
  listen: boolean,
  body: (stores: ClusterStore[]) => Promise<T>,
): Promise<T> {
  const schema = freshSchema();
  const stores: ClusterStore[] = [];
  try {
    for (let i = 0; i < count; i++) {
      stores.push(await openClusterStore({ url: server.url, schema, node: `n${i}`, listen }));
    }
    return await body(stores);
  } finally {
    for (const store of stores) await store.close();
  }
}

/** Resolves when `predicate` holds, polling every 20 ms, or throws after `ms`. */
async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

Deno.test({
  name: "cluster job queue on PostgreSQL",
  ignore: postgresSkip(),
  fn: async (t) => {
    const server = await startPostgres();
    try {
      await t.step(
        "each job is claimed by exactly one of several concurrent claimers",
        async () => {
          await withStores(server, 4, false, async (stores) => {
            const ids = [];
            for (let i = 0; i < 60; i++) {
              ids.push((await stores[0].jobs.submit({ fn: "f", data: `${i}` }, "n0")).id);
            }
            const claimed = new Map<number, string[]>();
            // Four hosts claim in parallel, one or three at a time, until the queue is empty.
            await Promise.all(stores.map(async (store, i) => {
              while (true) {
                const jobs = await store.jobs.claim(`n${i}`, 1 + (i % 3), 10_000);
                if (jobs.length === 0) break;
                for (const job of jobs) {
                  claimed.set(job.id, [...(claimed.get(job.id) ?? []), `n${i}`]);
                  assert.equal(
                    await store.jobs.complete(job.id, job.token, { ok: true, json: job.data }),
                    true,
                  );
                }
              }
            }));
            assert.deepEqual([...claimed.keys()].sort((a, b) => a - b), ids);
            assert.deepEqual([...claimed.values()].filter((by) => by.length !== 1), []);
            assert.ok(
              new Set([...claimed.values()].flat()).size > 1,
              "more than one host took jobs",
            );
            const depth = await stores[0].depth();
            assert.deepEqual(depth, { queued: 0, running: 0, expired: 0, oldestQueuedMs: null });
            const result = await stores[1].results.read(ids[7]);
            assert.equal(result?.state, "done");
            assert.equal(result?.json, "7");
          });
        },
      );

      await t.step(
        "an idempotency key refuses a second submit, even after completion",
        async () => {
          await withStores(server, 2, false, async ([a, b]) => {
            const first = await a.jobs.submit({ fn: "f", data: "x", key: "order-17" }, "n0");
            assert.equal(first.created, true);
            const again = await b.jobs.submit({ fn: "other", data: "y", key: "order-17" }, "n1");
            assert.deepEqual(again, { id: first.id, created: false });
            const [job] = await b.jobs.claim("n1", 5, 10_000);
            assert.equal(job.id, first.id);
            await b.jobs.complete(job.id, job.token, { ok: true, json: '"ok"' });
            const after = await a.jobs.submit({ fn: "f", data: "x", key: "order-17" }, "n0");
            assert.deepEqual(after, { id: first.id, created: false });
            assert.deepEqual(await a.jobs.claim("n0", 5, 10_000), [], "nothing new was queued");
            // Ten hosts submitting the same new key at once make one job.
            const racing = await Promise.all(
              Array.from(
                { length: 10 },
                (_, i) => (i % 2 ? a : b).jobs.submit({ fn: "f", data: "", key: "k2" }, "n"),
              ),
            );
            assert.equal(
              new Set(racing.map((r) => r.id)).size,
              1,
            );
            assert.equal(racing.filter((r) => r.created).length, 1);
            await assert.rejects(
              a.jobs.submit({ fn: "f", data: "", key: "k".repeat(257) }, "n0"),
              RangeError,
            );
            await assert.rejects(a.jobs.submit({ fn: "", data: "" }, "n0"), RangeError);
          });
        },
      );

      await t.step(
        "a job whose holder stopped renewing is run again; the old holder is refused",
        async () => {
          await withStores(server, 2, false, async ([a, b]) => {
            const { id } = await a.jobs.submit({ fn: "slow", data: "" }, "n0");
            const [first] = await a.jobs.claim("n0", 1, 300);
            assert.equal(first.attempt, 1);
            assert.deepEqual(await b.jobs.claim("n1", 1, 300), [], "held: not claimable");
            assert.deepEqual([...await a.jobs.renew([first], 300)], [id], "renewal while held");
            await sleep(500); // a stopped renewing (paused, killed)
            assert.equal((await a.depth()).expired, 1);
            const [second] = await b.jobs.claim("n1", 1, 10_000);
            assert.equal(second.id, id);
            assert.equal(second.attempt, 2);
            assert.ok(second.token > first.token);
            assert.deepEqual([...await a.jobs.renew([first], 10_000)], [], "a's renewal refused");
            assert.equal(await a.jobs.complete(id, first.token, { ok: true, json: '"a"' }), false);
            assert.equal(await b.jobs.complete(id, second.token, { ok: true, json: '"b"' }), true);
            assert.equal(
              await b.jobs.complete(id, second.token, { ok: true, json: '"b2"' }),
              false,
              "once",
            );
            const result = await a.results.read(id);
            assert.deepEqual([result?.state, result?.json, result?.node, result?.attempts], [
              "done",
              '"b"',
              "n1",
              2,
            ]);
          });
        },
      );

      await t.step(
        "a job with a key is not run twice: its lost run fails; attempts are bounded",
        async () => {
          await withStores(server, 2, false, async ([a, b]) => {
            const keyed = await a.jobs.submit({ fn: "pay", data: "", key: "pay-1" }, "n0");
            const plain = await a.jobs.submit({ fn: "f", data: "", maxAttempts: 2 }, "n0");
            const firstRuns = await a.jobs.claim("n0", 2, 200);
            assert.equal(firstRuns.length, 2);
            await sleep(400);
            const rerun = await b.jobs.claim("n1", 5, 200);
            assert.deepEqual(
              rerun.map((job) => [job.id, job.attempt]),
              [[plain.id, 2]],
              "only the keyless job again",
            );
            assert.deepEqual(await b.jobs.reap(), [keyed.id]);
            const lost = await b.results.read(keyed.id);
            assert.equal(lost?.state, "failed");
            assert.match(lost?.error ?? "", /not run again/);
            const keyedRun = firstRuns.find((job) => job.id === keyed.id)!;
            assert.equal(
              await a.jobs.complete(keyed.id, keyedRun.token, { ok: true, json: "1" }),
              false,
            );
            await sleep(400);
            assert.deepEqual(await b.jobs.claim("n1", 5, 200), [], "no third attempt");
            assert.deepEqual(await b.jobs.reap(), [plain.id]);
            assert.match((await b.results.read(plain.id))?.error ?? "", /each of 2 attempts/);
            assert.equal(await a.results.read(999_999), null);
          });
        },
      );

      await t.step(
        "a claim given back (the call did not start) is queued again, its token refused",
        async () => {
          await withStores(server, 2, false, async ([a, b]) => {
            const keyed = await a.jobs.submit({ fn: "pay", data: "", key: "pay-back" }, "n0");
            const [claimed] = await a.jobs.claim("n0", 1, 10_000);
            assert.equal(claimed.id, keyed.id);
            assert.equal(await a.jobs.requeue(claimed.id, claimed.token), true);
            assert.equal(await a.jobs.requeue(claimed.id, claimed.token), false, "once");
            const [again] = await b.jobs.claim("n1", 1, 10_000);
            assert.deepEqual([again.id, again.attempt], [keyed.id, 1], "a first attempt again");
            assert.ok(again.token > claimed.token);
            assert.equal(
              await a.jobs.complete(claimed.id, claimed.token, { ok: true, json: "1" }),
              false,
              "the given-back attempt's result is refused",
            );
            assert.equal(
              await b.jobs.complete(again.id, again.token, { ok: true, json: "2" }),
              true,
            );
            assert.equal((await a.results.read(keyed.id))?.json, "2");
          });
        },
      );

      await t.step("a result is waited for through LISTEN/NOTIFY", async () => {
        await withStores(server, 2, true, async ([a, b]) => {
          await until(
            () => a.notifications!.listening && b.notifications!.listening,
            5_000,
            "listening",
          );
          const woken: string[] = [];
          b.notifications!.on("jobs", () => woken.push("jobs"));
          const { id } = await a.jobs.submit({ fn: "f", data: "" }, "n0");
          await until(() => woken.length > 0, 5_000, "the jobs wake-up");
          const [job] = await b.jobs.claim("n1", 1, 10_000);
          setTimeout(
            () => void b.jobs.complete(job.id, job.token, { ok: false, error: "nope" }),
            300,
          );
          const started = performance.now();
          // Polling every 20 s: only the notification can end this wait early.
          const result = await a.results.wait(id, 10_000, {
            pollMs: 20_000,
            listeningPollMs: 20_000,
          });
          const took = performance.now() - started;
          assert.equal(result?.state, "failed");
          assert.equal(result?.error, "nope");
          assert.ok(took >= 250 && took < 5_000, `woken after ${took} ms`);
        });
      });

      await t.step(
        "without notifications a result is polled for; a wait ends at its bound",
        async () => {
          await withStores(server, 1, false, async ([a]) => {
            const { id } = await a.jobs.submit({ fn: "f", data: "" }, "n0");
            const started = performance.now();
            const pending = await a.results.wait(id, 300, { pollMs: 50 });
            assert.equal(pending?.state, "queued");
            assert.ok(performance.now() - started >= 290);
            const [job] = await a.jobs.claim("n0", 1, 10_000);
            setTimeout(
              () => void a.jobs.complete(job.id, job.token, { ok: true, json: "[1,2]" }),
              200,
            );
            const done = await a.results.wait(id, 10_000, { pollMs: 50 });
            assert.equal(done?.json, "[1,2]");
          });
        },
      );
    } finally {
      await server.cleanup();
    }
  },
});
