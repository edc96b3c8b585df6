// The fleet's store when the database goes away and comes back, and real
// lease keepers on a real PostgreSQL: a holder that cannot reach the
// database stops before another host can take its lease; while the database
// is away nobody holds; after it returns one host holds again within a lease.
import assert from "node:assert/strict";
import { ClusterUnavailableError, isUnavailable } from "../../src/cluster/cluster_error.ts";
import {
  LeaseKeeper,
  type LeaseOps,
  type LoseReason,
  systemKeeperClock,
} from "../../src/cluster/lease_keeper.ts";
import { type ClusterStore, openClusterStore } from "../../src/cluster/store.ts";
import { postgresSkip, startPostgres } from "../helpers/postgres.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `predicate` holds (polling every 20 ms), or throws after `ms`. */
async function until(predicate: () => boolean | Promise<boolean>, ms: number, what: string) {
  const end = performance.now() + ms;
  while (!(await predicate())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A keeper on `store` with its events recorded (monotonic ms). */
function keeper(store: ClusterStore, name: string, leaseMs: number, ops?: LeaseOps) {
  const log: { event: "hold" | "lose"; at: number; token: number; reason?: LoseReason }[] = [];
  const k = new LeaseKeeper(systemKeeperClock, ops ?? store.leaseOps(name, leaseMs), {
    onHold: (token) => log.push({ event: "hold", at: performance.now(), token }),
    onLose: (token, reason) =>
      void log.push({ event: "lose", at: performance.now(), token, reason }),
  }, { leaseMs, renewEveryMs: leaseMs / 4, stopMarginMs: leaseMs / 5, retryMs: 100 });
  return { k, log };
}

Deno.test({
  name: "cluster store across a database restart, with real lease keepers",
  ignore: postgresSkip(),
  fn: async (t) => {
    const server = await startPostgres();
    const stores: ClusterStore[] = [];
    try {
      for (const node of ["a", "b"]) {
        stores.push(await openClusterStore({ url: server.url, schema: "evrexec", node }));
      }
      const [a, b] = stores;

      await t.step("the database restarted: errors to act on, then service again", async () => {
        await until(() => a.notifications!.listening, 5_000, "listening");
        const { id } = await a.jobs.submit({ fn: "kept", data: "across the restart" }, "a");
        await server.stop();
        const started = performance.now();
        const error = await a.jobs.submit({ fn: "f", data: "" }, "a").catch((e) => e);
        assert.ok(error instanceof ClusterUnavailableError, String(error));
        assert.ok(isUnavailable(await a.leases.acquire("x", "a", 1000).catch((e) => e)));
        assert.ok(performance.now() - started < 6_000, "failures come fast");
        await until(() => !a.notifications!.listening, 5_000, "the listener to notice");
        await server.start();
        await until(() => a.depth().then(() => true, () => false), 10_000, "queries to work again");
        const depth = await a.depth();
        assert.equal(depth.queued, 1, "the job submitted before the stop is still queued");
        assert.equal((await b.results.read(id))?.state, "queued");
        await until(() => a.notifications!.listening, 10_000, "the listener to reconnect");
        assert.ok(a.notifications!.connects >= 2);
        const woken: string[] = [];
        const off = a.notifications!.on("jobs", () => woken.push("jobs"));
        await b.jobs.submit({ fn: "after", data: "" }, "b");
        await until(() => woken.length > 0, 5_000, "a wake-up after the restart");
        off();
      });

      await t.step(
        "a holder cut off from the database stops before another takes over",
        async () => {
          const leaseMs = 1_000;
          let cut = false;
          const real = a.leaseOps("cut", leaseMs);
          const refuse = () =>
            Promise.reject(new ClusterUnavailableError("test", new Error("cut off")));
          const cutOps: LeaseOps = {
            acquire: () => cut ? refuse() : real.acquire(),
            renew: (token) => cut ? refuse() : real.renew(token),
            release: (token) => cut ? refuse() : real.release(token),
          };
          const ka = keeper(a, "cut", leaseMs, cutOps);
          const kb = keeper(b, "cut", leaseMs);
          ka.k.start();
          await until(() => ka.k.holding() !== null, 5_000, "a to hold");
          kb.k.start();
          await sleep(1_500);
          assert.equal(kb.k.holding(), null, "b stands by while a renews");
          assert.equal(ka.k.holding(), ka.log[0].token);
          cut = true;
          const cutAt = performance.now();
          await until(() => kb.k.holding() !== null, leaseMs + 3_000, "b to take over");
          const lose = ka.log.find((e) => e.event === "lose")!;
          const hold = kb.log.find((e) => e.event === "hold")!;
          assert.equal(lose.reason, "deadline");
          assert.ok(lose.at < hold.at, `a stopped ${hold.at - lose.at} ms before b started`);
          assert.ok(hold.at - cutAt < leaseMs + 2_000, `b took over after ${hold.at - cutAt} ms`);
          assert.ok(hold.token > lose.token);
          console.log(
            `  cut off at 0 ms; a stopped at ${(lose.at - cutAt).toFixed(0)} ms, ` +
              `b held at ${(hold.at - cutAt).toFixed(0)} ms (lease ${leaseMs} ms)`,
          );
          // a's late writes carry its old token: refused.
          assert.equal(await a.fires.claim("cut", 1_700_000_000_000, lose.token, "a"), "fenced");
          assert.equal((await a.leases.renew("cut", lose.token, leaseMs)).renewed, false);
          await ka.k.stop();
          await kb.k.stop();
          assert.deepEqual(kb.log.map((e) => e.event), ["hold", "lose"]);
        },
      );

      await t.step("while the database is away nobody holds; after it, one does", async () => {
        const leaseMs = 1_000;
        const ka = keeper(a, "away", leaseMs);
        const kb = keeper(b, "away", leaseMs);
        ka.k.start();
        kb.k.start();
        const holders = () => [ka.k.holding(), kb.k.holding()].filter((x) => x !== null).length;
        await until(() => holders() === 1, 5_000, "one holder");
        await server.stop();
        const stoppedAt = performance.now();
        await until(() => holders() === 0, leaseMs + 1_000, "the holder to give up");
        const gaveUpAfter = performance.now() - stoppedAt;
        assert.ok(gaveUpAfter < leaseMs, `gave up after ${gaveUpAfter} ms`);
        for (let i = 0; i < 10; i++) {
          await sleep(150);
          assert.equal(holders(), 0, "nobody holds while the database is away");
        }
        await server.start();
        const startedAt = performance.now();
        await until(() => holders() === 1, leaseMs + 5_000, "a holder after the restart");
        console.log(
          `  gave up ${gaveUpAfter.toFixed(0)} ms after the stop; ` +
            `held again ${(performance.now() - startedAt).toFixed(0)} ms after the start`,
        );
        await sleep(500);
        assert.equal(holders(), 1);
        await ka.k.stop();
        await kb.k.stop();
      });
    } finally {
      for (const store of stores) await store.close();
      await server.cleanup();
    }
  },
});
