/**
 * The database load of a fleet, measured on a throwaway PostgreSQL (or
 * `--url`): statements per second of an idle host, of a holder, per fire and
 * per submitted call, and the figures of a fleet of `--fleet` idle hosts
 * (statements and PostgreSQL CPU per second, connections). Along the way it
 * checks what the figures rest on: one run record per fire and no gap, every
 * submitted call answered once.
 *
 * Last, three real hosts (subprocesses with `--cluster`, one singleton
 * `every=1s`) are measured by their own `evrexec_cluster_statements_total`,
 * to check the simulated figures against the host itself.
 *
 * Usage: deno run --allow-all bench/cluster/load.ts [--seconds 30] [--fleet 100]
 *        [--fleet-seconds 20] [--jobs 1000] [--real-seconds 20] [--url postgres://…]
 * (`deno task bench --cluster` runs it; with `--quick`, shorter.)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { openClusterDb } from "../../src/cluster/db.ts";
import { startPostgres, type TestPostgres } from "../../tests/helpers/postgres.ts";
import { SimHost } from "./sim_host.ts";
import { startFleetHost } from "../../tests/helpers/fleet.ts";
import type { TestHost } from "../../tests/helpers/host.ts";
import { metricsText } from "../../tests/helpers/metrics.ts";

const args = parseArgs({
  options: {
    seconds: { type: "string", default: "30" },
    fleet: { type: "string", default: "100" },
    "fleet-seconds": { type: "string", default: "20" },
    jobs: { type: "string", default: "1000" },
    "real-seconds": { type: "string", default: "20" },
    url: { type: "string" },
  },
  strict: true,
});
const seconds = Number(args.values.seconds);
const fleetSize = Number(args.values.fleet);
const fleetSeconds = Number(args.values["fleet-seconds"]);
const jobCount = Number(args.values.jobs);
const realSeconds = Number(args.values["real-seconds"]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: TestPostgres | null = null;
const url = args.values.url ?? (server = await startPostgres()).url;
const admin = openClusterDb(url, { maxConnections: 1 });

/** CPU seconds used by the server so far (postmaster, its live and its reaped children). */
async function serverCpu(): Promise<number | null> {
  if (server === null) return null;
  const pid = Number((await Deno.readTextFile(`${server.dir}/data/postmaster.pid`)).split("\n")[0]);
  const fields = (p: number) => {
    try {
      const text = Deno.readTextFileSync(`/proc/${p}/stat`);
      return text.slice(text.lastIndexOf(")") + 2).split(" ");
    } catch {
      return null;
    }
  };
  const main = fields(pid);
  if (main === null) return null;
  // After the ")": [0] state, [1] ppid … [11] utime, [12] stime, [13] cutime, [14] cstime.
  let ticks = Number(main[11]) + Number(main[12]) + Number(main[13]) + Number(main[14]);
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry.name)) continue;
    const f = fields(Number(entry.name));
    if (f !== null && Number(f[1]) === pid) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / 100;
}

/** Transactions the server counted in its database so far. */
async function serverTransactions(): Promise<number> {
  const [row] = await admin.run(
    "stat",
    "SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()",
  );
  return Number(row.n);
}

const report: Record<string, unknown> = {};

// 1. Three hosts, one singleton task every=1s.
{
  const schema = `bench_three_${Date.now() % 100000}`;
  const hosts = await Promise.all(["a", "b", "c"].map((n) => SimHost.open(url, schema, n)));
  for (const h of hosts) await h.start([{ name: "tick", everyMs: 1_000 }], true);
  await sleep(3_000); // a holder is chosen and the first fires are in
  const before = hosts.map((h) => h.queries);
  const firesBefore = hosts.map((h) => h.counts.fires);
  const started = Date.now();
  await sleep(seconds * 1_000);
  const rates = hosts.map((h, i) => (h.queries - before[i]) / seconds);
  const fires = hosts.map((h, i) => h.counts.fires - firesBefore[i]);
  const holder = fires.indexOf(Math.max(...fires));
  const standbys = rates.filter((_, i) => i !== holder);
  const standbyRate = standbys.reduce((a, b) => a + b, 0) / standbys.length;
  const renewRate = 1 / (10 / 3);
  const firesPerSecond = fires[holder] / seconds;
  const rows = await admin.run(
    "fires",
    `SELECT (extract(epoch FROM fire_at) * 1000)::float8 AS at, count(*) OVER (PARTITION BY fire_at) AS n
     FROM "${schema}".fires WHERE task = 'tick' AND fire_at >= to_timestamp($1 / 1000.0)
     ORDER BY fire_at`,
    [started - 2_000],
  );
  const times = rows.map((r) => Number(r.at));
  let maxGap = 0;
  for (let i = 1; i < times.length; i++) maxGap = Math.max(maxGap, times[i] - times[i - 1]);
  for (const h of hosts) await h.stop();
  report.three = {
    seconds,
    perHost: rates.map((r) => Number(r.toFixed(3))),
    holder: hosts[holder].identity.name,
    standbyQps: Number(standbyRate.toFixed(3)),
    holderQps: Number(rates[holder].toFixed(3)),
    fires: fires[holder],
    perFire: Number(((rates[holder] - standbyRate - renewRate) / firesPerSecond).toFixed(2)),
    recordedFires: times.length,
    duplicateFires: rows.filter((r) => Number(r.n) > 1).length,
    maxGapMs: maxGap,
  };
  console.log("three hosts, one singleton every=1s:", JSON.stringify(report.three));
}

// 2. Submitted calls over three hosts.
{
  const schema = `bench_jobs_${Date.now() % 100000}`;
  const hosts = await Promise.all(["a", "b", "c"].map((n) => SimHost.open(url, schema, n)));
  for (const h of hosts) await h.start([], true);
  await sleep(500);
  const before = hosts.reduce((sum, h) => sum + h.queries, 0);
  const started = performance.now();
  const submitted: number[] = [];
  for (let i = 0; i < jobCount; i += 50) {
    const batch = Array.from({ length: Math.min(50, jobCount - i) }, (_, k) => i + k);
    submitted.push(
      ...await Promise.all(
        batch.map((n) =>
          hosts[n % 3].store.jobs.submit(
            { fn: "noop", data: String(n) },
            hosts[n % 3].identity.name,
          )
            .then((r) => r.id)
        ),
      ),
    );
  }
  while (hosts.reduce((sum, h) => sum + h.completed.length, 0) < jobCount) {
    if (performance.now() - started > 120_000) break;
    await sleep(50);
  }
  const took = performance.now() - started;
  const used = hosts.reduce((sum, h) => sum + h.queries, 0) - before;
  const completed = hosts.flatMap((h) => h.completed);
  const idle = 3 * ((1 / 2) + (1 / 2) * (1 + 1 / 5)) * (took / 1_000); // heartbeats and polls meanwhile
  for (const h of hosts) await h.stop();
  report.jobs = {
    submitted: submitted.length,
    answered: completed.length,
    answeredTwice: completed.length - new Set(completed).size,
    unanswered: submitted.filter((id) => !completed.includes(id)).length,
    perHost: hosts.map((h) => h.counts.jobs),
    seconds: Number((took / 1_000).toFixed(2)),
    perJob: Number(((used - idle) / jobCount).toFixed(2)),
  };
  console.log("submitted calls over three hosts:", JSON.stringify(report.jobs));
}

// 3. A fleet of idle hosts, one singleton task among them.
if (fleetSize > 0) {
  const schema = `bench_fleet_${Date.now() % 100000}`;
  const hosts: SimHost[] = [];
  for (let i = 0; i < fleetSize; i++) {
    hosts.push(await SimHost.open(url, schema, `h${i}`));
    await hosts[i].start([{ name: "tick", everyMs: 1_000 }], true);
  }
  await sleep(5_000);
  const [conn] = await admin.run(
    "conn",
    "SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend'",
  );
  const q0 = hosts.reduce((sum, h) => sum + h.queries, 0);
  const t0 = await serverTransactions();
  const c0 = await serverCpu();
  await sleep(fleetSeconds * 1_000);
  const q1 = hosts.reduce((sum, h) => sum + h.queries, 0);
  const t1 = await serverTransactions();
  const c1 = await serverCpu();
  for (const h of hosts) await h.stop();
  report.fleet = {
    hosts: fleetSize,
    seconds: fleetSeconds,
    clientQps: Number(((q1 - q0) / fleetSeconds).toFixed(1)),
    serverTps: Number(((t1 - t0 - 2) / fleetSeconds).toFixed(1)),
    serverCpuPerSecond: c0 === null || c1 === null
      ? null
      : Number(((c1 - c0) / fleetSeconds).toFixed(3)),
    connections: Number(conn.n),
  };
  console.log(`${fleetSize} idle hosts, one singleton every=1s:`, JSON.stringify(report.fleet));
}

// 4. Three real hosts, one singleton every=1s, measured by their own counters.
if (realSeconds > 0) {
  const schema = `bench_real_${Date.now() % 100000}`;
  const out = await Deno.makeTempFile({ prefix: "evrexec-bench-" });
  const hosts: { host: TestHost; port: string }[] = [];
  const statements = async (port: string) => {
    const text = await metricsText(port);
    return Number(/^evrexec_cluster_statements_total (\S+)$/m.exec(text)?.[1] ?? NaN);
  };
  try {
    for (const node of ["a", "b", "c"]) {
      const host = await startFleetHost(url, node, out, {
        exec: ["name=tick;singleton=cluster;every=1s"],
        args: ["--cluster-schema", schema, "--metrics", "127.0.0.1:0"],
      });
      const [, port] = await host.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/);
      hosts.push({ host, port });
    }
    await sleep(3_000);
    const before = await Promise.all(hosts.map(({ port }) => statements(port)));
    await sleep(realSeconds * 1_000);
    // Each scrape reads the queue's depth once: that statement is taken off.
    const after = await Promise.all(hosts.map(({ port }) => statements(port)));
    const rates = after.map((n, i) => (n - before[i] - 1) / realSeconds);
    const [lease] = await admin.run(
      "holder",
      `SELECT holder FROM "${schema}".leases WHERE name = 'tick'`,
    );
    const holder = ["a", "b", "c"].indexOf(String(lease.holder));
    report.real = {
      seconds: realSeconds,
      perHost: rates.map((r) => Number(r.toFixed(3))),
      holder: String(lease.holder),
      standbyQps: Number(
        (rates.filter((_, i) => i !== holder).reduce((a, b) => a + b, 0) / 2).toFixed(3),
      ),
      holderQps: Number(rates[holder].toFixed(3)),
    };
    console.log("three real hosts, one singleton every=1s:", JSON.stringify(report.real));
  } finally {
    for (const { host } of hosts) await host.cleanup();
    await Deno.remove(out).catch(() => {});
  }
}

await admin.close();
await server?.cleanup();
console.log(JSON.stringify(report));
