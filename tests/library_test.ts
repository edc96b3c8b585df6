// The library API of mod.ts: parse a spec, start a host from code, call it
// with RpcClient, reload it, stop it; a fatal condition reaches onFatal.
import assert from "node:assert/strict";
import { FatalError, parseExecSpec, RpcClient, startHost } from "../mod.ts";
import { withTimeout } from "../src/base/deadline.ts";
import { fixture, sleep } from "./helpers/host.ts";

Deno.test({
  name: "library: startHost, RpcClient and stop from code",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "evrexec-lib-" });
    const host = await startHost({
      scriptUrl: `file://${fixture("rpc.ts")}`,
      socket: `${dir}/rpc.sock`,
      logLevel: "error",
      rpcWorkers: 1,
    });
    try {
      const client = await RpcClient.connect(`${dir}/rpc.sock`);
      assert.deepEqual(await client.call("evrexec.run", ["echo", "lib"]), {
        arg: "lib",
        evr: "lib",
        type: "string",
      });
      assert.equal((await host.reload()).version, 2);
      await client.close();
    } finally {
      await host.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
    assert.equal(parseExecSpec("name=x;workers=3").workers, 3);
  },
});

Deno.test({
  name:
    "library: a fatal condition goes to onFatal; the host stops and its caller's process lives on",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "evrexec-lib-" });
    const socket = `${dir}/rpc.sock`;
    const fatal = Promise.withResolvers<FatalError>();
    const host = await startHost({
      scriptUrl: `file://${fixture("pool_faults.ts")}`,
      socket,
      logLevel: "error",
      rpcWorkers: 1,
      rpcTimeoutMs: 300,
      memoryLimitMiB: 0,
      maxStuck: 0,
      onFatal: (error) => fatal.resolve(error),
    });
    try {
      const client = await RpcClient.connect(socket);
      // Busy for 6 s: it times out after 300 ms and its thread is stuck 3 s
      // after its termination, one more than --max-stuck 0 tolerates.
      await client.call("evrexec.run", ["busy", "6000"]).catch(() => {});
      await client.close();
      const error = await withTimeout(fatal.promise, 20_000, "onFatal was not called");
      assert.ok(error instanceof FatalError);
      assert.match(error.message, /^1 workers are stuck in synchronous code \(rpc worker 0\)/);
      const deadline = Date.now() + 5000;
      while (await exists(socket) && Date.now() < deadline) await sleep(50);
      assert.equal(await exists(socket), false, "the host stopped and removed its socket");
    } finally {
      host.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
