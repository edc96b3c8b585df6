// Two hosts started in one process (the library's startHost) keep their
// workers apart: a worker stuck in one host is listed, counted and watched by
// that host only.
import assert from "node:assert/strict";
import { type HostOptions, RpcClient, startHost } from "../mod.ts";
import { fixture, sleep } from "./helpers/host.ts";

type Row = { state: string; description: string };

async function stuckRows(socket: string): Promise<Row[]> {
  const client = await RpcClient.connect(socket);
  try {
    return (await client.call("core.psx") as Row[]).filter((row) => row.state === "stuck");
  } finally {
    await client.close();
  }
}

Deno.test({
  name: "two hosts in one process: a worker stuck in one is not listed by the other",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "evrexec-two-" });
    const config = (name: string): HostOptions => ({
      scriptUrl: `file://${fixture("pool_faults.ts")}`,
      socket: `${dir}/${name}.sock`,
      logLevel: "error",
      rpcWorkers: 1,
      rpcTimeoutMs: 300,
      shutdownTimeoutMs: 1000,
      memoryLimitMiB: 0,
    });
    const a = await startHost(config("a"));
    const b = await startHost(config("b"));
    try {
      const client = await RpcClient.connect(a.config.socket);
      // Busy for 6 s: it times out after 300 ms, and its thread has not ended
      // 3 s after its termination: stuck; once it ends, it is taken off the list.
      await client.call("evrexec.run", ["busy", "6000"]).catch(() => {});
      await client.close();
      const deadline = Date.now() + 5000;
      while ((await stuckRows(a.config.socket)).length === 0 && Date.now() < deadline) {
        await sleep(50);
      }
      assert.equal((await stuckRows(a.config.socket)).length, 1, "host a lists its stuck worker");
      assert.deepEqual(await stuckRows(b.config.socket), [], "host b lists none");
      const ends = Date.now() + 10_000;
      while ((await stuckRows(a.config.socket)).length > 0 && Date.now() < ends) await sleep(100);
      assert.deepEqual(await stuckRows(a.config.socket), [], "its thread ended: no longer stuck");
    } finally {
      await a.shutdown();
      await b.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
