// The stuck verdict (issue 11): a terminated thread whose end does not show
// within 3 s is stuck (listed, counted, /healthz 503); once it ends after
// all, it is taken off the list and the host is healthy again.
import assert from "node:assert/strict";
import { fixture, sleep, withHost } from "./helpers/host.ts";
import { health } from "./helpers/metrics.ts";

Deno.test(
  "stuck verdict: a thread busy past its timeout is stuck until it ends, then healthy again",
  withHost(fixture("pool_faults.ts"), {
    args: ["--rpc-workers", "1", "--rpc-timeout", "300", "--metrics", "127.0.0.1:0"],
  }, async (host) => {
    const [, port] = await host.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/);
    assert.deepEqual(await health(port), [200, "ok\n"]);
    const started = performance.now();
    await host.call("evrexec.run", ["busy", "6000"]).catch(() => {}); // -32001 after 300 ms
    await host.waitFor(/rpc worker 0 was terminated but its thread has not ended within 3000 ms/);
    const [status, body] = await health(port);
    assert.equal(status, 503);
    assert.match(body, /^1 worker stuck in synchronous code \(rpc worker 0\)/);
    await host.waitFor(/rpc worker 0: its thread has ended after all; no longer counted as stuck/);
    console.log(
      `stuck verdict lifted ${Math.round(performance.now() - started)} ms after the call`,
    );
    await sleep(50);
    assert.deepEqual(await health(port), [200, "ok\n"]);
    const rows = await host.call("core.psx") as { state: string }[];
    assert.equal(rows.filter((row) => row.state === "stuck").length, 0);
  }),
);
