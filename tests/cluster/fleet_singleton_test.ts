// Singleton tasks across three real hosts on a real PostgreSQL (issue 23):
// each fire of a `singleton=cluster;every=1s` task runs once in the fleet,
// recorded as one row, with no gap; a long-lived singleton loop runs on one
// host at a time; a holder stopped with SIGSTOP is replaced within its lease
// + 2 s, and once continued it finds it lost the lease, stops, and none of
// its late writes land. The short form runs 10 s; `deno task test:fleet`
// (EVREXEC_FLEET_LONG=1) runs the 60 s.
import assert from "node:assert/strict";
import { postgresSkip, startPostgres } from "../helpers/postgres.ts";
import { fires, fleetDb, readLines, startFleetHost, until } from "../helpers/fleet.ts";
import { sleep, type TestHost } from "../helpers/host.ts";

const LONG = Deno.env.get("EVREXEC_FLEET_LONG") === "1";
const RUN_MS = LONG ? 60_000 : 10_000;
const LEASE_MS = 3_000;
const TASKS = [
  `name=tick;singleton=cluster;every=1s;lease=${LEASE_MS / 1000}s`,
  `name=loop;singleton=cluster;lease=${LEASE_MS / 1000}s`,
];

Deno.test({
  name: `fleet singletons: three hosts, ${RUN_MS / 1000} s, each fire once; SIGSTOP and SIGCONT`,
  ignore: postgresSkip(),
  fn: async (t) => {
    const pg = await startPostgres();
    const out = `${pg.dir}/out`;
    const db = fleetDb(pg.url);
    const hosts = new Map<string, TestHost>();
    try {
      for (const node of ["a", "b", "c"]) {
        hosts.set(node, await startFleetHost(pg.url, node, out, { exec: TASKS }));
      }
      await until(async () => (await fires(db, "tick")).length >= 2, 15_000, "the first fires");
      const from = Date.now();
      await sleep(RUN_MS);
      const to = Date.now();

      await t.step("each fire once, one row per fire, no gap", async () => {
        const rows = (await fires(db, "tick")).filter((f) => f.fireAt >= from && f.fireAt < to);
        assert.ok(rows.length >= RUN_MS / 1000 - 2, `${rows.length} fires in ${RUN_MS} ms`);
        for (let i = 1; i < rows.length; i++) {
          assert.equal(rows[i].fireAt - rows[i - 1].fireAt, 1000, "no gap over one interval");
        }
        assert.ok(rows.every((f) => f.state === "done"), JSON.stringify(rows));
        const all = await fires(db, "tick");
        const done = all.filter((f) => f.state === "done").length;
        const ticks = readLines(out).filter((l) => l.kind === "tick").length;
        // A fire is recorded as claimed before it runs and as done after: lines lie between.
        assert.ok(ticks >= done && ticks <= all.length, `${ticks} runs, ${all.length} fires`);
        console.log(`fleet: ${rows.length} fires in ${RUN_MS / 1000} s, ${ticks} runs in all`);
      });

      await t.step("the loop singleton runs on one host at a time", () => {
        const loops = readLines(out).filter((l) => l.kind === "loop" && l.at >= from && l.at < to);
        assert.ok(loops.length >= RUN_MS / 200, `${loops.length} loop lines`);
        assert.equal(new Set(loops.map((l) => l.node)).size, 1);
      });

      await t.step(
        "SIGSTOP the holder: another runs it within lease + 2 s; SIGCONT: fenced",
        async () => {
          const [lease] = await db.run(
            "holder",
            "SELECT holder, token FROM evrexec.leases WHERE name = 'tick'",
          );
          const holder = String(lease.holder);
          const paused = hosts.get(holder)!;
          paused.process.kill("SIGSTOP");
          const stoppedAt = Date.now();
          await until(
            () =>
              readLines(out).some((l) =>
                l.kind === "tick" && l.node !== holder && l.at > stoppedAt
              ),
            LEASE_MS + 2_000 + 3_000,
            "another host to fire",
          );
          const taken = readLines(out).find((l) =>
            l.kind === "tick" && l.node !== holder && l.at > stoppedAt
          )!;
          const tookMs = taken.at - stoppedAt;
          console.log(`fleet: holder ${holder} stopped; ${taken.node} fired after ${tookMs} ms`);
          assert.ok(tookMs <= LEASE_MS + 2_000, `took over after ${tookMs} ms`);
          await sleep(2_000);
          paused.process.kill("SIGCONT");
          const contAt = Date.now();
          await paused.waitFor(/task "tick": lease lost \(token \d+\)/, 10_000);
          await paused.waitFor(/task "loop": lease lost \(token \d+\)/, 10_000);
          await sleep(3_000);
          const late = readLines(out).filter((l) =>
            l.node === holder && l.kind === "tick" && l.at > stoppedAt
          );
          assert.deepEqual(late, [], "the paused holder ran no fire after it woke");
          const rows = (await fires(db, "tick")).filter((f) => f.fireAt > stoppedAt);
          assert.ok(rows.every((f) => f.node !== holder), "none of its late writes landed");
          const loopsAfter = readLines(out).filter((l) =>
            l.node === holder && l.kind === "loop" && l.at > contAt + 2_000
          );
          assert.deepEqual(loopsAfter, [], "its loop stopped after it woke");
          const woke = readLines(out).filter((l) =>
            l.node === holder && l.kind === "loop" && l.at >= contAt
          );
          console.log(
            `fleet: after SIGCONT the paused holder's loop wrote ${woke.length} lines ` +
              `over ${woke.length ? woke.at(-1)!.at - contAt : 0} ms before it stopped`,
          );
          const all = await fires(db, "tick");
          const ticks = readLines(out).filter((l) => l.kind === "tick").length;
          assert.ok(ticks <= all.length, "no fire run twice across the takeover");
        },
      );
    } finally {
      for (const host of hosts.values()) {
        host.process.kill("SIGCONT");
        await host.cleanup();
      }
      await db.close();
      await pg.cleanup();
    }
  },
});
