// The library API of mod.ts: parse a spec, start a host from code, call it
// with RpcClient, reload it, stop it.
import assert from "node:assert/strict";
import { parseExecSpec, RpcClient, startHost } from "../mod.ts";
import { fixture } from "./helpers/host.ts";

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
