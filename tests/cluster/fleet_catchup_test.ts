// Catch-up of a scheduled singleton (issue 23): a host stopped across at
// least five fires of `every=1s`, then restarted, runs none of the missed
// fires with catchup=skip, the latest with catchup=once, and every one with
// catchup=all (all within the default window of 1 h). Three real hosts, one
// per rule, each in its own schema of one throwaway PostgreSQL.
import assert from "node:assert/strict";
import { postgresSkip, startPostgres } from "../helpers/postgres.ts";
import { type FireRow, fleetDb, readLines, startFleetHost, until } from "../helpers/fleet.ts";
import { sleep, type TestHost } from "../helpers/host.ts";
import { openClusterDb } from "../../src/cluster/db.ts";

const MODES = ["skip", "once", "all"] as const;

function start(url: string, mode: string, out: string): Promise<TestHost> {
  return startFleetHost(url, `n-${mode}`, out, {
    exec: [`name=tick;singleton=cluster;every=1s;lease=3s;catchup=${mode}`],
    args: ["--cluster-schema", `s_${mode}`],
  });
}

async function firesIn(url: string, schema: string): Promise<FireRow[]> {
  const db = openClusterDb(url, { maxConnections: 1 });
  try {
    const rows = await db.run(
      "test fires",
      `SELECT (extract(epoch from fire_at) * 1000)::float8 AS fire_at,
         (extract(epoch from started_at) * 1000)::float8 AS started_at, node, token, state
       FROM ${schema}.fires WHERE task = 'tick' ORDER BY fire_at`,
    );
    return rows.map((row) => ({
      fireAt: Math.round(Number(row.fire_at)),
      startedAt: Number(row.started_at),
      node: String(row.node),
      token: Number(row.token),
      state: String(row.state),
    }));
  } finally {
    await db.close();
  }
}

Deno.test({
  name: "fleet catch-up: stopped across five fires or more; skip runs 0, once 1, all of them",
  ignore: postgresSkip(),
  fn: async (t) => {
    const pg = await startPostgres();
    const out = `${pg.dir}/out`;
    const db = fleetDb(pg.url);
    const hosts: TestHost[] = [];
    try {
      for (const mode of MODES) hosts.push(await start(pg.url, mode, out));
      for (const mode of MODES) {
        await until(
          async () => (await firesIn(pg.url, `s_${mode}`)).length >= 2,
          15_000,
          `first fires (${mode})`,
        );
      }
      for (const host of hosts.splice(0)) assert.equal((await host.stop()).code, 0);
      const stoppedAt = Date.now();
      await sleep(5_500);
      for (const mode of MODES) hosts.push(await start(pg.url, mode, out));
      await sleep(3_000);
      const missed = new Map<string, number>();
      for (const mode of MODES) {
        await t.step(`catchup=${mode}`, async () => {
          const rows = await firesIn(pg.url, `s_${mode}`);
          const before = rows.filter((f) => f.startedAt < stoppedAt);
          const after = rows.filter((f) => f.startedAt >= stoppedAt);
          const last = before.at(-1)!.fireAt;
          // Each catch-up run is one line of the host's log, naming its fire time.
          const host = hosts[MODES.indexOf(mode)];
          const lateAt = [...host.log.matchAll(/fire of (\S+) missed while no host ran the task/g)]
            .map((m) => Date.parse(m[1]));
          const late = after.filter((f) => lateAt.includes(f.fireAt));
          assert.equal(late.length, lateAt.length, "each catch-up run recorded");
          const onTime = after.filter((f) => !lateAt.includes(f.fireAt));
          const gap = (onTime[0].fireAt - last) / 1000 - 1;
          missed.set(mode, gap);
          assert.ok(gap >= 5, `stopped across ${gap} fires`);
          const expected = mode === "skip" ? 0 : mode === "once" ? 1 : gap;
          assert.equal(late.length, expected, JSON.stringify(after));
          if (mode === "once") assert.equal(late[0].fireAt, onTime[0].fireAt - 1000, "the latest");
          if (mode === "all") {
            late.forEach((f, i) => assert.equal(f.fireAt, last + (i + 1) * 1000));
          }
          const runs = readLines(out).filter((l) => l.kind === "tick" && l.node === `n-${mode}`);
          assert.equal(runs.length, rows.filter((f) => f.state === "done").length, "each run once");
        });
      }
      console.log(`fleet catch-up: missed ${JSON.stringify(Object.fromEntries(missed))}`);
    } finally {
      for (const host of hosts) await host.cleanup();
      await db.close();
      await pg.cleanup();
    }
  },
});
