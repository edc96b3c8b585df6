// Durable calls across three real hosts on a real PostgreSQL (issue 23):
// `evrexec.submit` answers an id at once, any host with a free RPC worker
// runs the call, `evrexec.result` returns it; many calls are each answered
// once and spread over the fleet; a call whose host is killed (-9) mid-run is
// run again elsewhere and answered once; with an idempotency key it is never
// run a second time (it fails as lost) and the key answers the first id.
// The short form submits 200 calls; `deno task test:fleet` 1,000.
import assert from "node:assert/strict";
import { postgresSkip, startPostgres } from "../helpers/postgres.ts";
import { fleetDb, readLines, startFleetHost, until } from "../helpers/fleet.ts";
import type { TestHost } from "../helpers/host.ts";

const LONG = Deno.env.get("EVREXEC_FLEET_LONG") === "1";
const CALLS = LONG ? 1000 : 200;

interface Result {
  id: number;
  state: string;
  attempts: number;
  node: string | null;
  result: unknown;
  error: string | null;
}

Deno.test({
  name: `fleet calls: ${CALLS} submits over three hosts; a holder killed mid-run`,
  ignore: postgresSkip(),
  fn: async (t) => {
    const pg = await startPostgres();
    const out = `${pg.dir}/out`;
    const db = fleetDb(pg.url);
    const hosts = new Map<string, TestHost>();
    const replaced: TestHost[] = [];
    try {
      for (const node of ["a", "b", "c"]) hosts.set(node, await startFleetHost(pg.url, node, out));
      const all = [...hosts.values()];

      await t.step(`${CALLS} submits: each answered once, work on all three`, async () => {
        const clients = await Promise.all(all.map((host) => host.client()));
        const started = performance.now();
        const ids = await Promise.all(
          Array.from({ length: CALLS }, async (_, i) => {
            const answer = await clients[i % 3].call("evrexec.submit", ["echo", `call-${i}`]) as {
              id: number;
              created: boolean;
            };
            assert.equal(answer.created, true);
            return answer.id;
          }),
        );
        assert.equal(new Set(ids).size, CALLS, "one id per submit");
        const results = await Promise.all(
          ids.map((id, i) =>
            clients[(i + 1) % 3].call("evrexec.result", [id, 60_000]) as Promise<Result>
          ),
        );
        const ms = Math.round(performance.now() - started);
        results.forEach((r, i) => {
          assert.equal(r.state, "done", JSON.stringify(r));
          assert.deepEqual(r.result, { node: r.node, data: `call-${i}` });
          assert.equal(r.attempts, 1);
        });
        const runs = readLines(out).filter((l) => l.kind === "echo");
        assert.equal(runs.length, CALLS, "each call run once");
        assert.equal(new Set(runs.map((l) => l.data)).size, CALLS);
        const byNode = Object.groupBy(runs, (l) => l.node);
        const counts = ["a", "b", "c"].map((n) => byNode[n]?.length ?? 0);
        console.log(`fleet: ${CALLS} calls answered in ${ms} ms; runs per host ${counts}`);
        assert.ok(counts.every((n) => n > 0), `work on all three: ${counts}`);
      });

      await t.step(
        "a holder killed mid-run: run again elsewhere; with a key, not again",
        async () => {
          const a = hosts.get("a")!;
          const plain = await a.call("evrexec.submit", ["slow", "4000"]) as { id: number };
          const keyed = await a.call("evrexec.submit", ["slow", "4001", "order-42"]) as {
            id: number;
          };
          const again = await a.call("evrexec.submit", ["slow", "4001", "order-42"]) as {
            id: number;
            created: boolean;
          };
          assert.deepEqual(again, { id: keyed.id, created: false }, "the key answers the first id");
          const holders = new Set<string>();
          for (const id of [plain.id, keyed.id]) {
            let node: string | null = null;
            await until(
              async () => {
                const r = await a.call("evrexec.result", [id]) as Result;
                node = r.state === "running" ? r.node : null;
                return node !== null;
              },
              15_000,
              `call ${id} to run`,
            );
            holders.add(node!);
          }
          await until(
            () => readLines(out).filter((l) => l.kind === "slow-start").length >= 2,
            10_000,
            "both runs to start",
          );
          for (const node of holders) {
            hosts.get(node)!.process.kill("SIGKILL");
            await hosts.get(node)!.exited;
          }
          // A killed host started again at once, as a service manager does, under its name
          // (its calls' lines say `<name>-again`, to tell it from the killed process).
          const killed = [...holders][0];
          const started = performance.now();
          const restarting = startFleetHost(pg.url, killed, out, {
            env: { FLEET_NODE: `${killed}-again` },
          });
          const alive = [...hosts].find(([node]) => !holders.has(node))![1];
          const [p, k] = await Promise.all([
            alive.call("evrexec.result", [plain.id, 60_000]) as Promise<Result>,
            alive.call("evrexec.result", [keyed.id, 60_000]) as Promise<Result>,
          ]);
          assert.equal(p.state, "done", JSON.stringify(p));
          assert.equal(p.attempts, 2);
          const rerun = readLines(out).filter((l) => l.kind === "slow-start" && l.data === "4000")
            .at(-1)!;
          assert.ok(!holders.has(rerun.node), `run again elsewhere: ${rerun.node}`);
          assert.equal(k.state, "failed", JSON.stringify(k));
          assert.match(k.error!, /lost: its host \(node [abc]\) went away mid-run/);
          const starts = readLines(out).filter((l) => l.kind === "slow-start");
          assert.equal(
            starts.filter((l) => l.data === "4000").length,
            2,
            "the plain call ran twice",
          );
          assert.equal(
            starts.filter((l) => l.data === "4001").length,
            1,
            "the keyed call ran once",
          );
          const ends = readLines(out).filter((l) => l.kind === "slow-end");
          assert.equal(ends.filter((l) => l.data === "4000").length, 1, "answered once");
          const [row] = await db.run(
            "job",
            "SELECT count(*) AS n FROM evrexec.jobs WHERE idem_key = 'order-42'",
          );
          assert.equal(Number(row.n), 1);

          const restarted = await restarting;
          replaced.push(hosts.get(killed)!);
          hosts.set(killed, restarted);
          const took = Math.round(performance.now() - started);
          console.log(`fleet: ${killed}, killed, started again under its name in ${took} ms`);
          assert.match(restarted.log, /a host with this name was seen \d+ ms ago; looking again/);
          const view = await restarted.call("evrexec.cluster") as {
            nodes: { name: string; live: boolean }[];
          };
          assert.ok(view.nodes.some((n) => n.name === killed && n.live));
        },
      );
    } finally {
      for (const host of hosts.values()) await host.cleanup();
      for (const host of replaced) await host.cleanup();
      await db.close();
      await pg.cleanup();
    }
  },
});
