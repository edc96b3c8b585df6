/**
 * What works behind PgBouncer in transaction mode, checked rather than
 * assumed: a throwaway PostgreSQL, Debian's `pgbouncer` in front of it
 * (`pool_mode = transaction`, 2 server connections), and every operation of
 * the cluster store through it; then LISTEN/NOTIFY and a session advisory
 * lock through it, which are expected to break. Prints one line per check.
 * Skipped with one line where `pgbouncer` is not installed (it is not needed
 * by the host or its tests; `apt-get install pgbouncer` to run this).
 *
 * Usage: deno run --allow-all bench/cluster/pgbouncer_check.ts
 *
 * @module
 */

import pg from "pg";
import { ClusterNotifications } from "../../src/cluster/notifications.ts";
import { nodeIdentity } from "../../src/cluster/node_identity.ts";
import { schemaNames } from "../../src/cluster/schema_name.ts";
import { openClusterStore } from "../../src/cluster/store.ts";
import { PG_USER, startPostgres } from "../../tests/helpers/postgres.ts";

const BOUNCER = "/usr/sbin/pgbouncer";
try {
  Deno.statSync(BOUNCER);
} catch {
  console.log(`skipped: ${BOUNCER} not found (apt-get install pgbouncer)`);
  Deno.exit(0);
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = await startPostgres();
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = (listener.addr as Deno.NetAddr).port;
listener.close();
const dir = server.dir;
await Deno.writeTextFile(`${dir}/userlist.txt`, `"${PG_USER}" ""\n`);
await Deno.writeTextFile(
  `${dir}/pgbouncer.ini`,
  [
    "[databases]",
    `postgres = host=127.0.0.1 port=${server.port} dbname=postgres user=${PG_USER}`,
    "[pgbouncer]",
    "listen_addr = 127.0.0.1",
    `listen_port = ${port}`,
    `unix_socket_dir = ${dir}`,
    "auth_type = trust",
    `auth_file = ${dir}/userlist.txt`,
    "pool_mode = transaction",
    "default_pool_size = 2",
    "max_client_conn = 200",
    `logfile = ${dir}/pgbouncer.log`,
    "",
  ].join("\n"),
);
const owner = Deno.statSync(dir);
for (const file of ["userlist.txt", "pgbouncer.ini"]) {
  await Deno.chown(`${dir}/${file}`, owner.uid, owner.gid);
}
const asOwner = Deno.uid() === 0
  ? [
    "setpriv",
    `--reuid=${owner.uid}`,
    `--regid=${owner.gid}`,
    "--clear-groups",
    "--pdeathsig=SIGTERM",
    "--",
  ]
  : [];
const argv = [...asOwner, BOUNCER, `${dir}/pgbouncer.ini`];
const bouncer = new Deno.Command(argv[0], { args: argv.slice(1), stdout: "null", stderr: "null" })
  .spawn();
const url = `postgres://${PG_USER}@127.0.0.1:${port}/postgres`;
for (let i = 0; i < 100; i++) {
  try {
    const c = new pg.Client({ connectionString: url });
    c.on("error", () => {});
    await c.connect();
    await c.end();
    break;
  } catch {
    await sleep(50);
  }
}

const results: [string, boolean, string][] = [];
async function check(what: string, fn: () => Promise<string>): Promise<void> {
  try {
    results.push([what, true, await fn()]);
  } catch (error) {
    results.push([what, false, String((error as Error).message ?? error)]);
  }
  const [, ok, detail] = results[results.length - 1];
  console.log(`${ok ? "works " : "BROKEN"}  ${what}${detail ? `: ${detail}` : ""}`);
}

try {
  const stores = await Promise.all(
    ["a", "b", "c"].map((node) =>
      openClusterStore({ url, schema: "evrexec", node, listen: false })
    ),
  );
  await check("migration by three hosts at once (transaction-level advisory lock)", () => {
    const versions = stores.map((s) => `${s.migration.from}->${s.migration.to}`);
    return Promise.resolve(versions.join(", "));
  });
  const [a, b] = stores;
  await check("node registry: register, refuse a second start, heartbeat, leave", async () => {
    const me = nodeIdentity("n1", "x");
    if (!(await a.nodes.register(me, 5_000)).ok) throw new Error("register refused");
    if ((await b.nodes.register(nodeIdentity("n1", "y"), 5_000)).ok) {
      throw new Error("name taken twice");
    }
    if (!(await a.nodes.heartbeat(me, 5_000))) throw new Error("heartbeat refused");
    await a.nodes.leave(me);
    return "";
  });
  await check(
    "leases: a race of 20 acquisitions has one winner; renew; fenced fire; release",
    async () => {
      const got = await Promise.all(
        Array.from({ length: 20 }, (_, i) => stores[i % 3].leases.acquire("t", `n${i}`, 5_000)),
      );
      const winners = got.filter((g) => g.acquired);
      if (winners.length !== 1) throw new Error(`${winners.length} winners`);
      const token = winners[0].acquired ? winners[0].token : 0;
      if (!(await b.leases.renew("t", token, 5_000)).renewed) throw new Error("renew refused");
      if ((await b.fires.claim("t", 1_000, token, "x")) !== "claimed") throw new Error("claim");
      if ((await b.fires.claim("t", 2_000, token + 1_000, "x")) !== "fenced") {
        throw new Error("fence");
      }
      if (!(await a.fires.finish("t", 1_000, token, "done"))) throw new Error("finish");
      if (!(await a.leases.release("t", token))) throw new Error("release");
      return "";
    },
  );
  await check(
    "jobs: 300 submits claimed by three hosts at once, each once; key; results",
    async () => {
      for (let i = 0; i < 300; i++) await stores[i % 3].jobs.submit({ fn: "f", data: `${i}` }, "x");
      const seen = new Map<number, number>();
      await Promise.all(stores.map(async (s, i) => {
        while (true) {
          const jobs = await s.jobs.claim(`n${i}`, 3, 5_000);
          if (jobs.length === 0) break;
          await s.jobs.renew(jobs, 5_000);
          for (const job of jobs) {
            seen.set(job.id, (seen.get(job.id) ?? 0) + 1);
            await s.jobs.complete(job.id, job.token, { ok: true, json: "1" });
          }
        }
      }));
      const twice = [...seen.values()].filter((n) => n !== 1).length;
      if (seen.size !== 300 || twice !== 0) throw new Error(`${seen.size} claimed, ${twice} twice`);
      const first = await a.jobs.submit({ fn: "f", data: "", key: "k" }, "x");
      const again = await b.jobs.submit({ fn: "f", data: "", key: "k" }, "x");
      if (again.id !== first.id || again.created) throw new Error("key not refused");
      const result = await b.results.wait(1, 1_000, { pollMs: 100 });
      return `result of job 1: ${result?.state}`;
    },
  );
  await check("cluster view and queue depth", async () => {
    const view = await a.view();
    return `${view.nodes.length} node(s), ${view.leases.length} lease(s), ${view.queue.queued} queued`;
  });
  for (const s of stores) await s.close();

  await check("LISTEN/NOTIFY through PgBouncer (expected to break)", async () => {
    const names = schemaNames("evrexec");
    const n = new ClusterNotifications(url, names);
    let woken = 0;
    n.on("jobs", () => woken++);
    n.start();
    await sleep(500);
    const store = await openClusterStore({ url, schema: "evrexec", node: "z", listen: false });
    for (let i = 0; i < 5; i++) {
      await store.jobs.submit({ fn: "f", data: "" }, "z");
      await sleep(200);
    }
    await store.close();
    await n.close();
    if (woken === 0) {
      throw new Error(`LISTEN was accepted (listening: yes), but 0 of 5 wake-ups arrived`);
    }
    return `${woken} of 5 wake-ups arrived`;
  });

  await check("a session advisory lock through PgBouncer (expected to break)", async () => {
    const clients = [
      new pg.Client({ connectionString: url }),
      new pg.Client({ connectionString: url }),
    ];
    for (const c of clients) {
      c.on("error", () => {});
      await c.connect();
    }
    const lock = async (c: pg.Client) =>
      (await c.query("SELECT pg_try_advisory_lock(4242) AS ok")).rows[0].ok as boolean;
    const first = await lock(clients[0]);
    const second = await lock(clients[1]);
    const unlocked = (await clients[0].query("SELECT pg_advisory_unlock(4242) AS ok")).rows[0].ok;
    for (const c of clients) await c.end();
    if (first && second) {
      throw new Error(`two clients both got the lock; the unlock answered ${unlocked}`);
    }
    return `first ${first}, second ${second}`;
  });
} finally {
  try {
    bouncer.kill("SIGTERM");
  } catch { /* gone */ }
  await bouncer.status;
  await server.cleanup();
}
