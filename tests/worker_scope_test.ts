// The host's channel to a worker is out of reach of user code: a script that
// takes over `self.onmessage`, stops every message event and posts forged
// answers neither swallows the host's messages nor forges an answer.
import assert from "node:assert/strict";
import { fixture, withHost } from "./helpers/host.ts";

Deno.test(
  "worker scope: a script's onmessage, listeners and postMessage do not reach the host",
  withHost(fixture("hostile_scope.ts"), { args: ["--rpc-timeout", "5000"] }, async (host) => {
    const c = await host.client();
    assert.equal(await c.call("evrexec.run", ["forge"]), "genuine");
    assert.equal(await c.call("evrexec.run", ["forge"]), "genuine");
    // Over 64 KiB: the call goes by message, which the script's handlers must not see.
    assert.equal(await c.call("evrexec.run", ["size", "x".repeat(100_000)]), 100_000);
    assert.equal(await c.call("evrexec.run", ["seen"]), 0);
    const rows = await c.call("core.psx") as { task: string; state: string; restarts: number }[];
    assert.deepEqual(
      rows.filter((row) => row.task === "rpc").map((row) => [row.state, row.restarts]),
      [["idle", 0], ["idle", 0]],
    );
  }),
);

for (
  const [mode, pool] of [["a thread sandbox", "workers=2;allow-read=/tmp"], [
    "process mode",
    "workers=2;isolation=process",
  ]]
) {
  Deno.test(
    `worker scope (${mode}): the script's handlers see no host message and forge no answer`,
    withHost(fixture("hostile_scope.ts"), {
      args: ["--rpc-timeout", "5000", "--rpc-pool", pool],
      permissions: ["--allow-run"],
    }, async (host) => {
      const c = await host.client();
      assert.equal(await c.call("evrexec.run", ["forge"]), "genuine");
      assert.equal(await c.call("evrexec.run", ["size", "x".repeat(100_000)]), 100_000);
      assert.equal(await c.call("evrexec.run", ["seen"]), 0);
    }),
  );
}
