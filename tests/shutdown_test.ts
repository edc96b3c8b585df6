// Shutdown: SIGTERM and SIGINT stop every worker, even a spinning one (cut
// off after --shutdown-timeout), and leave no process or socket behind.
import assert from "node:assert/strict";
import { fixture, processExists, startHost } from "./helpers/host.ts";

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`shutdown: ${signal} with busy-looping workers exits 0 quickly`, async () => {
    const host = await startHost(fixture("tasks.ts"), {
      exec: ["name=spin;workers=2", "name=record"],
      args: ["--shutdown-timeout", "500"],
    });
    try {
      await host.waitFor(/evrexec\.spin\.1: spinning/);
      await host.waitFor(/evrexec\.spin\.0: spinning/);
      await host.waitFor(/called index=0/);
      const exit = await host.stop(signal);
      assert.equal(exit.code, 0, exit.stderr);
      assert.ok(exit.ms < 4000, `exited after ${Math.round(exit.ms)} ms (the bound is 2 s)`);
      assert.match(exit.stderr, new RegExp(`${signal} received; stopping`));
      assert.match(exit.stderr, /\[INF\] evrexec: stopped$/m);
      assert.ok(!processExists(host.pid), "the process is gone");
      await assert.rejects(Deno.lstat(host.socket), "the socket file is removed");
    } finally {
      await host.cleanup();
    }
  });
}
