// Graceful stop: loops end on KSR.shutdown, running calls finish, queued
// calls are answered busy, a stuck worker is cut off at once, and a second
// signal stops at once.
import assert from "node:assert/strict";
import { fixture, processExists, startHost } from "./helpers/host.ts";
import { RawClient, request } from "./helpers/raw.ts";

const SUPERVISED = fixture("supervised.ts");

Deno.test("graceful stop: loops finish, the running call answers, queued calls get busy", async () => {
  const host = await startHost(SUPERVISED, {
    exec: ["name=graceful;workers=2"],
    args: ["--rpc-workers", "1"],
  });
  try {
    await host.waitFor(/all 2 workers running/);
    const raw = await RawClient.connect(host.socket);
    await raw.send(request(1, "evrexec.run", ["slow", "700"]));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await raw.send(
      request(2, "evrexec.run", ["slow", "10"]) + request(3, "evrexec.run", ["slow", "20"]),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const exit = host.stop("SIGTERM");
    const answers = await raw.lines(3) as {
      id: number;
      result?: number;
      error?: { code: number; message: string };
    }[];
    const byId = new Map(answers.map((a) => [a.id, a]));
    assert.equal(byId.get(1)?.result, 700, "the running call finished");
    for (const id of [2, 3]) {
      assert.equal(byId.get(id)?.error?.code, -32002);
      assert.match(byId.get(id)!.error!.message, /the host is stopping; the call was not started/);
    }
    assert.ok(await raw.waitEnd(), "the connection is closed after the answers");
    await raw.close();
    const { code, stderr, ms } = await exit;
    assert.equal(code, 0);
    assert.match(stderr, /graceful 0 finished cleanly/);
    assert.match(stderr, /graceful 1 finished cleanly/);
    assert.ok(ms < 4000, `stopped after ${Math.round(ms)} ms, well inside the 5 s default`);
    assert.doesNotMatch(stderr, /terminating what is left/);
  } finally {
    await host.cleanup();
  }
});

Deno.test("graceful stop: a spinning worker is terminated at once, the other loop ends cleanly", async () => {
  const host = await startHost(SUPERVISED, {
    exec: ["name=spin", "name=steady"],
    args: ["--shutdown-timeout", "3000"],
  });
  try {
    await host.waitFor(/spinning/);
    await host.waitFor(/steady up index=0/);
    const exit = await host.stop("SIGTERM");
    assert.equal(exit.code, 0);
    assert.ok(
      exit.ms < 2500,
      `stopped without waiting for the timeout (${Math.round(exit.ms)} ms)`,
    );
    assert.match(exit.stderr, /task "spin" worker 0: did not answer the stop within 100 ms/);
    assert.match(exit.stderr, /steady stopping index=0/, "the other loop ended cleanly");
    assert.ok(!processExists(host.pid));
  } finally {
    await host.cleanup();
  }
});

Deno.test("graceful stop: a second signal stops at once", async () => {
  const host = await startHost(fixture("lifecycle.ts"), {
    exec: ["name=stubborn"],
    args: ["--shutdown-timeout", "60000"],
  });
  try {
    await host.waitFor(/stubborn up/);
    host.process.kill("SIGTERM");
    await host.waitFor(/SIGTERM received; stopping/);
    host.process.kill("SIGTERM"); // within a second: taken as the same signal
    await new Promise((resolve) => setTimeout(resolve, 1200));
    assert.doesNotMatch(host.log, /second/);
    const exit = await host.stop("SIGINT");
    assert.equal(exit.code, 0);
    assert.ok(exit.ms < 5000, `stopped after ${Math.round(exit.ms)} ms`);
    assert.match(exit.stderr, /second SIGINT: stopping now/);
  } finally {
    await host.cleanup();
  }
});
