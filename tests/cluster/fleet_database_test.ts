// The fleet's database stopped while three real hosts run (issue 23): within
// one lease no singleton runs anywhere, every host says so in /healthz and
// logs it in one line, and once the database is back all resume within one
// lease; nothing is lost from the submit queue. The short form stops the
// database for 8 s; `deno task test:fleet` (EVREXEC_FLEET_LONG=1) for 20 s.
import assert from "node:assert/strict";
import { postgresSkip, startPostgres } from "../helpers/postgres.ts";
import { readLines, startFleetHost, until } from "../helpers/fleet.ts";
import { sleep, type TestHost } from "../helpers/host.ts";
import { health, metricsText } from "../helpers/metrics.ts";

const LONG = Deno.env.get("EVREXEC_FLEET_LONG") === "1";
const OUTAGE_MS = LONG ? 20_000 : 8_000;
const LEASE_MS = 3_000;
const TASKS = [
  `name=tick;singleton=cluster;every=1s;lease=${LEASE_MS / 1000}s`,
  `name=loop;singleton=cluster;lease=${LEASE_MS / 1000}s`,
];

Deno.test({
  name: `fleet: the database stopped for ${OUTAGE_MS / 1000} s, then back`,
  ignore: postgresSkip(),
  fn: async () => {
    const pg = await startPostgres();
    const out = `${pg.dir}/out`;
    const hosts: { host: TestHost; port: string }[] = [];
    try {
      for (const node of ["a", "b", "c"]) {
        const host = await startFleetHost(pg.url, node, out, {
          exec: TASKS,
          args: ["--metrics", "127.0.0.1:0"],
        });
        const [, port] = await host.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/);
        hosts.push({ host, port });
      }
      const lines = (kind: string, from: number, to = Infinity) =>
        readLines(out).filter((l) => l.kind === kind && l.at >= from && l.at < to);
      await until(() => lines("tick", 0).length >= 2, 15_000, "the first fires");
      for (const { port } of hosts) assert.deepEqual(await health(port), [200, "ok\n"]);
      const up = async (port: string) =>
        /^evrexec_cluster_database_up (\d)$/m.exec(await metricsText(port))?.[1];
      for (const { port } of hosts) assert.equal(await up(port), "1");
      const held = await Promise.all(
        hosts.map(async ({ port }) =>
          /^evrexec_cluster_lease_held\{task="tick"\} 1$/m.test(await metricsText(port))
        ),
      );
      assert.equal(held.filter(Boolean).length, 1, "one host holds tick, by its metrics");

      // Calls in the queue and running when the database goes.
      const a = hosts[0].host;
      const ids: number[] = [];
      for (let i = 0; i < 10; i++) {
        ids.push((await a.call("evrexec.submit", ["slow", String(1500 + i)]) as { id: number }).id);
      }
      await pg.stop();
      const stoppedAt = Date.now();
      for (const { host } of hosts) {
        await host.waitFor(/cluster database lost \(/, 10_000);
      }
      await sleep(LEASE_MS + 500);
      for (const { port } of hosts) {
        const [status, body] = await health(port);
        assert.equal(status, 503);
        assert.match(body, /cluster database unreachable for \d+ s .*: singleton tasks stopped/);
        assert.equal(await up(port), "0");
      }
      await sleep(Math.max(0, stoppedAt + OUTAGE_MS - Date.now()));
      const quietFrom = stoppedAt + LEASE_MS;
      const during = [...lines("tick", quietFrom), ...lines("loop", quietFrom)];
      assert.deepEqual(during, [], "no singleton ran while the database was away");
      for (const { host } of hosts) {
        assert.equal(host.count(/cluster database lost/), 1, "one line per host");
      }

      await pg.start();
      const backAt = Date.now();
      await until(() => lines("loop", backAt).length > 0, 15_000, "the loop to resume");
      await until(() => lines("tick", backAt).length > 0, 15_000, "the fires to resume");
      const loopMs = lines("loop", backAt)[0].at - backAt;
      const tickMs = lines("tick", backAt)[0].at - backAt;
      console.log(
        `fleet: database back; loop resumed after ${loopMs} ms, fires after ${tickMs} ms`,
      );
      assert.ok(loopMs <= LEASE_MS, `loop resumed after ${loopMs} ms`);
      assert.ok(tickMs <= LEASE_MS + 1_000, `fires resumed after ${tickMs} ms`);
      for (const { host, port } of hosts) {
        await until(async () => (await health(port))[0] === 200, 10_000, "healthy again");
        await host.waitFor(/cluster database reachable again after/, 10_000);
      }

      const results = await Promise.all(
        ids.map((id) => a.call("evrexec.result", [id, 60_000]) as Promise<{ state: string }>),
      );
      assert.deepEqual(results.map((r) => r.state), ids.map(() => "done"), "no call lost");
      const ends = readLines(out).filter((l) => l.kind === "slow-end").map((l) => l.data);
      assert.equal(new Set(ends).size, 10);
    } finally {
      for (const { host } of hosts) await host.cleanup();
      await pg.cleanup();
    }
  },
});
