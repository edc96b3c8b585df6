// Singleton tasks across a reload (issue 23): a singleton added by a reload
// starts where its lease is held (never by the reload itself); one whose keys
// changed is stopped and taken again under its new keys; one removed stops
// and releases its lease at once.
import assert from "node:assert/strict";
import { postgresSkip, startPostgres } from "../helpers/postgres.ts";
import { FLEET_SCRIPT, fleetDb, readLines, startFleetHost, until } from "../helpers/fleet.ts";
import { sleep } from "../helpers/host.ts";

Deno.test({
  name: "fleet reload: a singleton added, changed and removed by a reload",
  ignore: postgresSkip(),
  fn: async () => {
    const pg = await startPostgres();
    const out = `${pg.dir}/out`;
    const config = `${pg.dir}/evrexec.jsonc`;
    const db = fleetDb(pg.url);
    const write = (tasks: unknown[]) =>
      Deno.writeTextFile(config, JSON.stringify({ script: FLEET_SCRIPT, tasks }));
    await write([]);
    const host = await startFleetHost(pg.url, "r", out, { args: ["--config", config] });
    try {
      const loops = (from: number) =>
        readLines(out).filter((l) => l.kind === "loop" && l.at > from);
      await write([{ name: "loop", singleton: "cluster", lease: "2s" }]);
      const report = await host.call("evrexec.reload") as { added_tasks: string[] };
      assert.deepEqual(report.added_tasks, ["loop"]);
      await until(() => loops(0).length > 0, 10_000, "the added singleton to run");
      const [held] = await db.run("lease", "SELECT holder, token FROM evrexec.leases");
      assert.equal(held.holder, "r");
      const list = await host.call("evrexec.list") as { name: string; holder: string }[];
      assert.equal(list[0].holder, "r");

      await write([{ name: "loop", singleton: "cluster", lease: "3s" }]);
      const changed = await host.call("evrexec.reload") as { changed_tasks: string[] };
      assert.deepEqual(changed.changed_tasks, ["loop"]);
      const afterChange = Date.now();
      await until(() => loops(afterChange).length > 0, 10_000, "the changed singleton to run");
      const [again] = await db.run("lease", "SELECT holder, token FROM evrexec.leases");
      assert.ok(Number(again.token) > Number(held.token), "taken again under a new token");

      await write([]);
      await host.call("evrexec.reload");
      const removedAt = Date.now();
      await host.waitFor(/task "loop": lease lost \(token \d+\): this host stops/, 10_000);
      await sleep(1_000);
      assert.deepEqual(loops(removedAt + 500), [], "the removed singleton stopped");
      const [lease] = await db.run(
        "lease",
        "SELECT expires_at <= now() AS free FROM evrexec.leases WHERE name = 'loop'",
      );
      assert.equal(lease?.free ?? true, true, "its lease was released");
    } finally {
      await host.cleanup();
      await db.close();
      await pg.cleanup();
    }
  },
});
