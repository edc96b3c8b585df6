// The cluster store against a real, throwaway PostgreSQL: the schema and its
// migration, the node registry, leases with fencing tokens, fenced fires and
// the cluster view. Each step works in a schema of its own.
import assert from "node:assert/strict";
import { isUnavailable } from "../../src/cluster/cluster_error.ts";
import { openClusterDb } from "../../src/cluster/db.ts";
import { migrate, SchemaTooNewError } from "../../src/cluster/migrate.ts";
import { SCHEMA_VERSION } from "../../src/cluster/migrations.ts";
import { nodeIdentity } from "../../src/cluster/node_identity.ts";
import { schemaNames } from "../../src/cluster/schema_name.ts";
import { type ClusterStore, openClusterStore } from "../../src/cluster/store.ts";
import { ConfigError } from "../../src/base/errors.ts";
import { postgresSkip, startPostgres, type TestPostgres } from "../helpers/postgres.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let schemas = 0;
const freshSchema = () => `t${Date.now() % 100000}_${++schemas}`;

async function withStores<T>(
  server: TestPostgres,
  nodes: string[],
  body: (stores: ClusterStore[]) => Promise<T>,
): Promise<T> {
  const schema = freshSchema();
  const stores: ClusterStore[] = [];
  try {
    for (const node of nodes) {
      stores.push(await openClusterStore({ url: server.url, schema, node, listen: false }));
    }
    return await body(stores);
  } finally {
    for (const store of stores) await store.close();
  }
}

Deno.test({
  name: "cluster store on PostgreSQL",
  ignore: postgresSkip(),
  fn: async (t) => {
    const server = await startPostgres();
    try {
      await t.step("the schema name is checked before anything connects", () => {
        for (const bad of ["Evrexec", "1x", "a-b", "pg_x", "a;drop", "", "x".repeat(41)]) {
          assert.throws(() => schemaNames(bad), ConfigError, bad);
        }
        assert.equal(schemaNames().schema, "evrexec");
      });

      await t.step(
        "migration creates the schema once, even from hosts starting together",
        async () => {
          const schema = freshSchema();
          const names = schemaNames(schema);
          const dbs = [0, 1, 2].map(() => openClusterDb(server.url));
          try {
            const outcomes = await Promise.all(dbs.map((db, i) => migrate(db, names, `n${i}`)));
            assert.deepEqual(outcomes.map((o) => o.to), [
              SCHEMA_VERSION,
              SCHEMA_VERSION,
              SCHEMA_VERSION,
            ]);
            assert.equal(outcomes.filter((o) => o.from === 0).length, 1, JSON.stringify(outcomes));
            const again = await migrate(dbs[0], names, "n0");
            assert.deepEqual(again, { from: SCHEMA_VERSION, to: SCHEMA_VERSION });
            const rows = await dbs[0].run("t", `SELECT version FROM "${schema}".migrations`);
            assert.deepEqual(rows.map((r) => r.version), [1]);
            // A schema newer than this host is refused, not downgraded.
            await dbs[0].run(
              "t",
              `INSERT INTO "${schema}".migrations VALUES (99, 'x', now(), 'y')`,
            );
            await assert.rejects(migrate(dbs[1], names, "n1"), SchemaTooNewError);
          } finally {
            for (const db of dbs) await db.close();
          }
        },
      );

      await t.step("a node name is unique among live nodes; a lapsed one is free", async () => {
        await withStores(server, ["a"], async ([store]) => {
          const first = nodeIdentity("alpha", "1.0.0");
          const second = nodeIdentity("alpha", "1.0.1");
          assert.deepEqual((await store.nodes.register(first, 10_000)).ok, true);
          const refused = await store.nodes.register(second, 10_000);
          assert.equal(refused.ok, false);
          if (refused.ok) return;
          assert.equal(refused.holder.pid, Deno.pid);
          assert.ok(refused.expiresInMs > 8_000 && refused.expiresInMs <= 10_000);
          // The same session may register again (a retry after a lost answer).
          assert.equal((await store.nodes.register(first, 10_000)).ok, true);
          assert.equal(await store.nodes.heartbeat(first, 300), true);
          await sleep(500); // the registration ran out on the database's clock
          assert.equal((await store.nodes.register(second, 10_000)).ok, true);
          assert.equal(await store.nodes.heartbeat(first, 10_000), false, "first lost its name");
          await store.nodes.leave(second);
          const third = nodeIdentity("alpha", "1.0.2");
          assert.equal((await store.nodes.register(third, 10_000)).ok, true, "free after leave");
          const listed = await store.nodes.list();
          assert.deepEqual(listed.map((n) => [n.name, n.version, n.live]), [[
            "alpha",
            "1.0.2",
            true,
          ]]);
        });
      });

      await t.step("of nodes racing for a lease exactly one wins; the rest see it", async () => {
        await withStores(server, ["a"], async ([store]) => {
          for (let round = 0; round < 5; round++) {
            const name = `race${round}`;
            const results = await Promise.all(
              [0, 1, 2, 3, 4, 5].map((i) => store.leases.acquire(name, `node${i}`, 10_000)),
            );
            const winners = results.filter((r) => r.acquired);
            assert.equal(winners.length, 1, JSON.stringify(results));
            const holder = (await store.leases.list()).find((l) => l.name === name)!.holder;
            for (const loser of results.filter((r) => !r.acquired)) {
              if (loser.acquired) continue;
              if (loser.holder !== null) assert.equal(loser.holder, holder);
            }
          }
        });
      });

      await t.step(
        "a lease runs out on the database's clock; the next holder has a newer token",
        async () => {
          await withStores(server, ["a"], async ([store]) => {
            const a = await store.leases.acquire("job", "a", 400);
            assert.ok(a.acquired);
            const early = await store.leases.acquire("job", "b", 400);
            assert.ok(!early.acquired && early.holder === "a");
            if (!early.acquired) assert.ok(early.remainingMs > 0 && early.remainingMs <= 400);
            assert.deepEqual((await store.leases.renew("job", a.token, 400)).renewed, true);
            await sleep(600);
            const b = await store.leases.acquire("job", "b", 10_000);
            assert.ok(b.acquired, "b takes the lapsed lease");
            assert.ok(b.token > a.token, "tokens grow");
            assert.equal((await store.leases.renew("job", a.token, 10_000)).renewed, false);
            assert.equal(await store.leases.release("job", a.token), false, "a cannot release b's");
            assert.equal(await store.leases.release("job", b.token), true);
            const c = await store.leases.acquire("job", "c", 10_000);
            assert.ok(c.acquired, "a released lease is free at once");
            const view = await store.view();
            assert.deepEqual(view.leases.map((l) => [l.name, l.holder, l.live]), [[
              "job",
              "c",
              true,
            ]]);
          });
        },
      );

      await t.step("fences: a paused holder's late fire claim and finish are refused", async () => {
        await withStores(server, ["a", "b"], async ([a, b]) => {
          const t0 = 1_700_000_000_000;
          const la = await a.leases.acquire("tick", "a", 400);
          assert.ok(la.acquired);
          assert.equal(await a.fires.claim("tick", t0, la.token, "a"), "claimed");
          assert.equal(await a.fires.claim("tick", t0, la.token, "a"), "taken");
          assert.equal(await b.fires.claim("tick", t0 + 1000, 999_999, "b"), "fenced");
          assert.equal(await a.fires.finish("tick", t0, la.token, "done"), true);
          assert.equal(await a.fires.claim("tick", t0 + 1000, la.token, "a"), "claimed");
          // a is "paused": its lease runs out and b takes the task.
          await sleep(600);
          const lb = await b.leases.acquire("tick", "b", 10_000);
          assert.ok(lb.acquired);
          // a wakes: neither its next fire nor the end of the one it ran land.
          assert.equal(await a.fires.claim("tick", t0 + 2000, la.token, "a"), "fenced");
          assert.equal(await a.fires.finish("tick", t0 + 1000, la.token, "done"), false);
          // b runs the next fire once; a fire already recorded is not run again.
          assert.equal(await b.fires.claim("tick", t0 + 1000, lb.token, "b"), "taken");
          assert.equal(await b.fires.claim("tick", t0 + 2000, lb.token, "b"), "claimed");
          assert.equal(await b.fires.finish("tick", t0 + 2000, lb.token, "failed", "boom"), true);
          assert.equal(await b.fires.markLost("tick", lb.token), 1);
          assert.equal(await a.fires.markLost("tick", la.token), 0, "fenced too");
          assert.equal(await b.fires.last("tick"), t0 + 2000);
          const rows = await b.fires.list("tick", t0);
          assert.deepEqual(rows.map((r) => [r.fireAt - t0, r.node, r.state, r.error]), [
            [0, "a", "done", null],
            [1000, "a", "lost", "its holder lost the lease before recording the end"],
            [2000, "b", "failed", "boom"],
          ]);
        });
      });

      await t.step("a fire claimed around a takeover by both holders is run once", async () => {
        await withStores(server, ["a", "b"], async ([a, b]) => {
          let both = 0;
          for (let round = 0; round < 20; round++) {
            const task = `r${round}`;
            const fire = 1_700_000_000_000 + round;
            const la = await a.leases.acquire(task, "a", 50);
            assert.ok(la.acquired);
            await sleep(45 + (round % 10));
            // a claims while b tries to take over around the expiry.
            const [claimA, lb] = await Promise.all([
              a.fires.claim(task, fire, la.token, "a"),
              b.leases.acquire(task, "b", 10_000),
            ]);
            const claimB = lb.acquired ? await b.fires.claim(task, fire, lb.token, "b") : "fenced";
            if (claimA === "claimed" && claimB === "claimed") both++;
          }
          assert.equal(both, 0);
        });
      });

      await t.step("statements fail as 'unavailable' when nothing listens", async () => {
        const db = openClusterDb("postgres://evrexec@127.0.0.1:1/postgres", {
          connectTimeoutMs: 1000,
        });
        try {
          const error = await db.run("probe", "SELECT 1").catch((e) => e);
          assert.ok(isUnavailable(error), String(error));
          assert.match(String(error.message), /cluster database unavailable \(probe\)/);
        } finally {
          await db.close();
        }
      });
    } finally {
      await server.cleanup();
    }
  },
});
