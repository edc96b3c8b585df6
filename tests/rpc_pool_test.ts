// The warm pool: concurrency across connections, the timeout of a stuck run,
// and the bounded queue.
import assert from "node:assert/strict";
import { RpcError } from "../src/rpc/errors.ts";
import { fixture, withHost } from "./helpers/host.ts";

const RPC = fixture("rpc.ts");

Deno.test(
  "pool: many concurrent calls on several connections are each answered once with their id",
  withHost(RPC, { args: ["--rpc-workers", "2"] }, async (host) => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => host.client()));
    const calls = clients.flatMap((client, c) =>
      Array.from(
        { length: 50 },
        (_, i) =>
          client.request("evrexec.run", ["echo", `c${c}-${i}`]).then((response) => ({
            c,
            i,
            response,
          })),
      )
    );
    const answers = await Promise.all(calls);
    assert.equal(answers.length, 400);
    for (const { c, i, response } of answers) {
      assert.deepEqual(response.result, { arg: `c${c}-${i}`, evr: `c${c}-${i}`, type: "string" });
    }
    const ids = answers.map(({ c, response }) => `${c}:${response.id}`);
    assert.equal(new Set(ids).size, 400, "every id answered once");
  }),
);

Deno.test(
  "pool: a while(true) run times out, other calls are served meanwhile, the pool recovers",
  withHost(RPC, { args: ["--rpc-workers", "2", "--rpc-timeout", "1500"] }, async (host) => {
    const c = await host.client();
    const started = performance.now();
    const stuck = c.call("evrexec.run", ["spin"]).then(
      () => assert.fail("spin cannot answer"),
      (error) => error as RpcError,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    let served = 0;
    while (performance.now() - started < 1200) {
      assert.equal(await c.call("evrexec.run", ["kinds", "number"]), 42.5);
      assert.equal(typeof await c.call("core.uptime"), "object");
      served++;
    }
    const error = await stuck;
    assert.equal(error.code, -32001);
    assert.match(error.message, /spin did not answer within 1500 ms; its worker was replaced/);
    assert.ok(served > 5, `calls were served while one worker spun (${served})`);
    // The pool is whole again: two slow calls run side by side.
    const pair = performance.now();
    await Promise.all([
      c.call("evrexec.run", ["slow", "1400"]),
      c.call("evrexec.run", ["slow", "1400"]),
    ]);
    assert.ok(performance.now() - pair < 2600, "both workers serve again, side by side");
    const psx = await c.call("core.psx") as { task: string; restarts: number; state: string }[];
    const pool = psx.filter((row) => row.task === "rpc");
    assert.equal(pool.reduce((sum, row) => sum + row.restarts, 0), 1);
    assert.ok(pool.every((row) => row.state === "idle"), JSON.stringify(pool));
    await host.waitFor(/rpc worker \d: run of spin timed out after 1500 ms/);
    // Deno cannot interrupt the spinning thread: the host says so instead of losing it silently.
    await host.waitFor(
      /rpc worker \d was terminated but its thread has not ended within 3000 ms: it is stuck in synchronous code, which Deno cannot interrupt/,
    );
    const stuckRows = (await c.call("core.psx") as { state: string; description: string }[])
      .filter((row) => row.state === "stuck");
    assert.equal(stuckRows.length, 1);
    assert.match(
      stuckRows[0].description,
      /stopped while stuck in synchronous code \(rpc worker \d\)/,
    );
  }),
);

Deno.test(
  "pool: past the queue limit calls are answered busy at once",
  withHost(RPC, { args: ["--rpc-workers", "1", "--rpc-queue", "2"] }, async (host) => {
    const c = await host.client();
    const running = c.call("evrexec.run", ["slow", "800"]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const queued = [c.call("evrexec.run", ["slow", "10"]), c.call("evrexec.run", ["slow", "20"])];
    const started = performance.now();
    const busy = await c.call("evrexec.run", ["echo", "x"]).then(
      () => assert.fail("expected busy"),
      (error) => error as RpcError,
    );
    assert.equal(busy.code, -32002);
    assert.match(busy.message, /busy/);
    assert.ok(performance.now() - started < 500, "answered at once, not after the queue");
    assert.deepEqual(await Promise.all([running, ...queued]), [800, 10, 20]);
  }),
);

Deno.test(
  "pool: a run that awaits forever times out; its worker is stopped cleanly, not listed as stuck",
  withHost(RPC, { args: ["--rpc-timeout", "800"] }, async (host) => {
    const c = await host.client();
    const error = await c.call("evrexec.run", ["hang"]).then(
      () => assert.fail("hang cannot answer"),
      (e) => e as RpcError,
    );
    assert.equal(error.code, -32001);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const rows = await c.call("core.psx") as { state: string }[];
    assert.equal(rows.filter((row) => row.state === "stuck").length, 0);
    assert.doesNotMatch(host.log, /stuck in synchronous code/);
    assert.equal(
      await c.call("evrexec.run", ["echo", "again"]).then((r) => (r as { arg: string }).arg),
      "again",
    );
  }),
);
