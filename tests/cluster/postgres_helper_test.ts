// The throwaway PostgreSQL of tests/helpers/postgres.ts: it starts as an
// unprivileged user, answers on 127.0.0.1, stops and starts again on the same
// data and port, and leaves nothing behind.
import assert from "node:assert/strict";
import pg from "pg";
import { postgresSkip, startPostgres } from "../helpers/postgres.ts";

async function query(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

Deno.test({
  name: "a throwaway PostgreSQL starts, restarts on its data and port, and is removed",
  ignore: postgresSkip(),
  fn: async () => {
    const server = await startPostgres();
    try {
      const [row] = await query(server.url, "SELECT current_user AS who, version() AS v");
      assert.equal(row.who, "evrexec");
      assert.match(String(row.v), /^PostgreSQL \d+/);
      await query(server.url, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)");
      const [owner] = await query(server.url, "SELECT pg_postmaster_start_time()::text AS t");
      await server.stop();
      assert.equal(server.running, false);
      await assert.rejects(query(server.url, "SELECT 1"), /ECONNREFUSED|connect/);
      await server.start();
      const [kept] = await query(server.url, "SELECT x FROM kept");
      assert.equal(kept.x, 42);
      const [again] = await query(server.url, "SELECT pg_postmaster_start_time()::text AS t");
      assert.notEqual(String(again.t), String(owner.t));
      if (Deno.uid() === 0) {
        // PostgreSQL refuses root: the server runs as another user.
        const info = await Deno.stat(`${server.dir}/data`);
        assert.notEqual(info.uid, 0);
      }
    } finally {
      await server.cleanup();
    }
    await assert.rejects(Deno.stat(server.dir), Deno.errors.NotFound);
  },
});
