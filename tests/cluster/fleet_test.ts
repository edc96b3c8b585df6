// Three "hosts" in one process, each with its own store (pool), lease keeper
// and fire loop for one singleton task every=200ms, on a real PostgreSQL:
// one run record per fire, no gap over one interval while a holder runs,
// failover of a holder cut off from the database within the lease + 2 s, and
// nothing recorded by the cut-off holder after it lost the lease.
import assert from "node:assert/strict";
import { ClusterUnavailableError } from "../../src/cluster/cluster_error.ts";
import { DbClock } from "../../src/cluster/db_clock.ts";
import { FireLoop, type FireStore } from "../../src/cluster/fire_loop.ts";
import { everyFireTimes } from "../../src/cluster/fire_times.ts";
import { LeaseKeeper, type LeaseOps, systemKeeperClock } from "../../src/cluster/lease_keeper.ts";
import { type ClusterStore, openClusterStore } from "../../src/cluster/store.ts";
import { postgresSkip, startPostgres } from "../helpers/postgres.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PERIOD = 200;
const LEASE = 1_000;

/** A host: keeper and fire loop on `store`; `cut` makes its statements fail. */
function host(store: ClusterStore, node: string) {
  const state = { cut: false, runs: [] as number[], holds: [] as number[], loses: [] as number[] };
  const refuse = () => Promise.reject(new ClusterUnavailableError("test", new Error("cut off")));
  const guard = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A) =>
    state.cut ? refuse() : fn(...args);
  const clock = new DbClock();
  const raw = store.leaseOps("tick", LEASE);
  const ops: LeaseOps = {
    acquire: guard(async () => {
      const sent = performance.now();
      const got = await raw.acquire();
      clock.observe(sent, performance.now(), got.dbNow);
      return got;
    }),
    renew: guard(async (token: number) => {
      const sent = performance.now();
      const got = await raw.renew(token);
      if (got.renewed) clock.observe(sent, performance.now(), got.dbNow);
      return got;
    }),
    release: guard(raw.release),
  };
  const f = store.fires;
  const fires: FireStore = {
    last: guard((task: string) => f.last(task)),
    markLost: guard((task: string, token: number) => f.markLost(task, token)),
    claim: guard((task: string, at: number, token: number, n: string) =>
      f.claim(task, at, token, n)
    ),
    finish: guard((task: string, at: number, token: number, end: "done" | "failed") =>
      f.finish(task, at, token, end)
    ),
  };
  const loop: FireLoop = new FireLoop({
    clock: systemKeeperClock,
    dbNow: () => clock.now(),
    fires,
    holding: () => keeper.holding(),
    run: (at) => {
      state.runs.push(at);
      return Promise.resolve({ ok: true });
    },
  }, { task: "tick", node, times: everyFireTimes(PERIOD), catchUp: { mode: "skip", windowMs: 0 } });
  const keeper: LeaseKeeper = new LeaseKeeper(systemKeeperClock, ops, {
    onHold: (token) => {
      state.holds.push(performance.now());
      void loop.start(token);
    },
    onLose: () => {
      state.loses.push(performance.now());
      loop.stop();
    },
  }, { leaseMs: LEASE, retryMs: 100 });
  return { node, state, keeper, loop };
}

Deno.test({
  name: "fleet: one singleton every=200ms on three hosts",
  ignore: postgresSkip(),
  fn: async () => {
    const server = await startPostgres();
    const stores: ClusterStore[] = [];
    const hosts: ReturnType<typeof host>[] = [];
    try {
      for (const node of ["a", "b", "c"]) {
        const store = await openClusterStore({ url: server.url, schema: "fleet", node });
        stores.push(store);
        hosts.push(host(store, node));
      }
      for (const h of hosts) h.keeper.start();
      await sleep(4_000);
      const holder = hosts.find((h) => h.keeper.holding() !== null)!;
      assert.ok(holder !== undefined, "one host holds");
      assert.equal(hosts.filter((h) => h.keeper.holding() !== null).length, 1);
      const steady = await stores[0].fires.list("tick", 0);
      assert.ok(steady.length >= 10, `${steady.length} fires in 4 s`);
      assert.ok(steady.every((f) => f.node === holder.node && f.state === "done"));
      const gaps = steady.slice(1).map((f, i) => f.fireAt - steady[i].fireAt);
      assert.deepEqual(gaps.filter((g) => g !== PERIOD), [], "no gap, no fire twice");
      assert.equal(holder.state.runs.length, steady.length, "each recorded fire ran once");

      // The holder is cut off from the database: another host runs the task within lease + 2 s.
      holder.state.cut = true;
      const cutAt = performance.now();
      const lastBefore = steady.at(-1)!.fireAt;
      let next: ReturnType<typeof host> | undefined;
      while (next === undefined && performance.now() - cutAt < LEASE + 4_000) {
        await sleep(50);
        next = hosts.find((h) => h !== holder && h.keeper.holding() !== null);
      }
      assert.ok(next !== undefined, "another host took over");
      const tookOver = next.state.holds.at(-1)! - cutAt;
      assert.ok(tookOver < LEASE + 2_000, `took over after ${tookOver} ms`);
      assert.ok(
        holder.state.loses.at(-1)! < next.state.holds.at(-1)!,
        "the old holder stopped first",
      );
      await sleep(1_500);
      const after = (await stores[0].fires.list("tick", lastBefore + 1)).filter((f) =>
        f.node === holder.node
      );
      assert.deepEqual(after, [], "the cut-off holder recorded nothing after it lost the lease");
      const all = await stores[0].fires.list("tick", 0);
      const newer = all.filter((f) => f.node === next!.node);
      assert.ok(newer.length >= 5);
      const gapsAfter = newer.slice(1).map((f, i) => f.fireAt - newer[i].fireAt);
      assert.deepEqual(gapsAfter.filter((g) => g !== PERIOD), []);
      console.log(
        `  ${steady.length} fires in 4 s by ${holder.node}; cut off; ${next.node} held after ` +
          `${tookOver.toFixed(0)} ms (lease ${LEASE} ms), ${newer.length} fires since`,
      );
    } finally {
      for (const h of hosts) {
        h.state.cut = false;
        h.loop.stop();
        await h.keeper.stop();
      }
      for (const store of stores) await store.close();
      await server.cleanup();
    }
  },
});
