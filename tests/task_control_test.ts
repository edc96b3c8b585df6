// Task control over RPC: evrexec.stop, evrexec.start, evrexec.restart.
import assert from "node:assert/strict";
import { RpcError } from "../src/rpc/errors.ts";
import { fixture, withHost } from "./helpers/host.ts";

const SUPERVISED = fixture("supervised.ts");

type Task = {
  name: string;
  state: string;
  workers_summary: string;
  workers: { index: number; state: string; restarts: number }[];
};

Deno.test(
  "control: stop tells the function and stops the workers; start and restart bring them back",
  withHost(SUPERVISED, { exec: ["name=steady;workers=2", "name=graceful"] }, async (host) => {
    await host.waitFor(/steady up index=1/);
    const c = await host.client();
    const stopped = await c.call("evrexec.stop", ["steady"]) as Task;
    assert.equal(stopped.state, "stopped");
    assert.deepEqual(stopped.workers.map((w) => w.state), ["stopped", "stopped"]);
    assert.equal(stopped.workers_summary, "2 stopped");
    await host.waitFor(/steady stopping index=0/);
    await host.waitFor(/steady stopping index=1/);

    const started = await c.call("evrexec.start", { task: "steady" }) as Task;
    assert.equal(started.state, "active");
    await host.waitFor(/(steady up index=0[\s\S]*){2}/);
    await host.waitFor(/(steady up index=1[\s\S]*){2}/);
    const list = await c.call("evrexec.list") as Task[];
    assert.deepEqual(list[0].workers.map((w) => [w.state, w.restarts]), [["running", 1], [
      "running",
      1,
    ]]);

    const restarted = await c.call("evrexec.restart", ["steady", "1"]) as Task;
    assert.deepEqual(restarted.workers.map((w) => w.restarts), [1, 2], "only worker 1 restarted");
    await host.waitFor(/(steady up index=1[\s\S]*){3}/);
    assert.equal(host.count(/steady up index=0/), 2);

    await c.call("evrexec.restart", ["graceful"]);
    await host.waitFor(/graceful 0 finished cleanly/);
    const graceful = (await c.call("evrexec.list") as Task[])[1];
    assert.equal(graceful.workers[0].restarts, 1);
  }),
);

Deno.test(
  "control: unknown tasks and indexes answer -32602 naming them",
  withHost(SUPERVISED, { exec: ["name=steady;workers=2"] }, async (host) => {
    const c = await host.client();
    const cases: [string, unknown[], RegExp][] = [
      ["evrexec.stop", ["nope"], /unknown task "nope" \(tasks: steady\)/],
      ["evrexec.start", ["nope"], /unknown task "nope"/],
      ["evrexec.restart", ["nope"], /unknown task "nope"/],
      ["evrexec.restart", ["steady", 2], /task "steady" has no worker 2 \(indexes 0 to 1\)/],
      ["evrexec.restart", ["steady", "x"], /has no worker "x"/],
      ["evrexec.stop", [], /missing task/],
    ];
    for (const [method, params, pattern] of cases) {
      const error = await c.call(method, params).then(
        () => assert.fail(`${method} should fail`),
        (e) => e as RpcError,
      );
      assert.equal(error.code, -32602, `${method} ${JSON.stringify(params)}`);
      assert.match(error.message, pattern);
    }
  }),
);

Deno.test(
  "control: start brings back a task that a crash loop marked failed",
  withHost(
    SUPERVISED,
    { exec: ["name=crash;restart=always;backoff=50;max_restarts=1"] },
    async (host) => {
      await host.waitFor(/crash loop/);
      const before = host.count(/crash start/);
      const started = await host.call("evrexec.start", ["crash"]) as Task;
      assert.equal(started.state, "active");
      await host.waitFor(/(crash loop[\s\S]*){2}/);
      assert.ok(
        host.count(/crash start/) >= before + 2,
        "started again, with a fresh restart budget",
      );
    },
  ),
);
