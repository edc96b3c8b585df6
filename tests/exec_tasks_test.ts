// Exec tasks: dedicated workers, indexes, the wait, several tasks, failures.
import assert from "node:assert/strict";
import { fixture, sleep, startHost, withHost } from "./helpers/host.ts";

const TASKS = fixture("tasks.ts");

Deno.test(
  "exec: each worker index 0..N-1 is called exactly once, as a string",
  withHost(TASKS, { exec: ["name=record;workers=4"] }, async (host) => {
    for (let i = 0; i < 4; i++) await host.waitFor(new RegExp(`called index=${i} `));
    await sleep(500);
    const indexes = [...host.log.matchAll(/called index=(\d+) type=(\w+)/g)];
    assert.deepEqual(indexes.map((m) => m[1]).sort(), ["0", "1", "2", "3"]);
    assert.ok(indexes.every((m) => m[2] === "string"), "the index is passed as a string");
    assert.match(host.log, /evrexec\.record\.3: called index=3/, "category is evrexec.task.index");
  }),
);

Deno.test("exec: no function runs before its wait", async () => {
  const launched = performance.now();
  const host = await startHost(TASKS, { exec: ["name=record;wait=1500000;workers=2"] });
  try {
    const list = await host.call("evrexec.list") as { workers: { state: string }[] }[];
    assert.ok(
      list[0].workers.every((w) => w.state === "waiting" || w.state === "starting"),
      `workers wait first: ${JSON.stringify(list)}`,
    );
    assert.equal(host.count(/called index=/), 0, "nothing ran yet");
    await host.waitFor(/called index=0 /);
    await host.waitFor(/called index=1 /);
    assert.ok(performance.now() - launched >= 1500, "the call came after the wait");
    for (const m of host.log.matchAll(/after=(\d+)/g)) {
      assert.ok(Number(m[1]) >= 1500, `worker called after ${m[1]} ms of its own life`);
    }
  } finally {
    await host.cleanup();
  }
});

Deno.test(
  "exec: several tasks run at once, each with its own workers",
  withHost(TASKS, { exec: ["name=record;workers=2", "name=other;workers=3"] }, async (host) => {
    for (let i = 0; i < 2; i++) await host.waitFor(new RegExp(`called index=${i} `));
    for (let i = 0; i < 3; i++) await host.waitFor(new RegExp(`other index=${i}\\b`));
    await host.waitFor(/other tick 2 index=2/);
    const psx = await host.call("core.psx") as {
      task: string;
      state: string;
      description: string;
    }[];
    const exec = psx.filter((row) => row.task !== "rpc");
    assert.equal(exec.length, 5);
    assert.ok(exec.every((row) => row.state === "running"), JSON.stringify(exec));
    assert.ok(exec.some((row) => row.description === "EVREXEC child=2 exec=other"));
  }),
);

Deno.test(
  "exec: a string export name such as evrexec:timer works as written",
  withHost(TASKS, { exec: ["name=evrexec:timer;wait=1000;workers=1"] }, async (host) => {
    await host.waitFor(/evrexec\.evrexec:timer\.0: called index=0 /);
  }),
);

Deno.test(
  "exec: throwing, rejecting and returning tasks are logged once; the others keep running",
  withHost(TASKS, {
    exec: ["name=thrower;workers=2", "name=rejecter", "name=returner", "name=other"],
  }, async (host) => {
    await host.waitFor(/boom from thrower 1/);
    await host.waitFor(/rejected by 0/);
    await host.waitFor(/task "returner" worker 0: function returned/);
    const ticks = host.count(/other tick/);
    await host.waitFor(new RegExp(`other tick ${ticks + 3} `));
    assert.equal(host.count(/boom from thrower 0/), 1, "logged once");
    assert.equal(host.count(/rejected by 0/), 1, "logged once");
    const line = host.log.split("\n").find((l) => l.includes("boom from thrower 0"))!;
    assert.match(line, /\[ERR\] evrexec\.thrower\.0: task "thrower" worker 0: function failed/);
    assert.match(host.log, /at thrower \(file:.*tasks\.ts:\d+:\d+\)/, "the stack is logged");
    assert.match(host.log, /RangeError: rejected by 0/);
    const list = await host.call("evrexec.list") as {
      name: string;
      workers: { state: string; last_error: { message: string } | null }[];
    }[];
    const state = Object.fromEntries(list.map((t) => [t.name, t.workers.map((w) => w.state)]));
    assert.deepEqual(state, {
      thrower: ["failed", "failed"],
      rejecter: ["failed"],
      returner: ["returned"],
      other: ["running"],
    });
    assert.equal(list[0].workers[1].last_error?.message, "boom from thrower 1");
    assert.equal(await host.call("core.version").then((v) => typeof v), "string");
  }),
);

Deno.test("exec: a task naming no exported function stops start-up with exit 2", async () => {
  for (const name of ["nope", "constructor", "__proto__"]) {
    const host = await startHost(TASKS, { exec: ["name=record", `name=${name}`], ready: false });
    try {
      const exit = await host.waitExit();
      assert.equal(exit.code, 2, host.log);
      const lines = host.log.trim().split("\n");
      assert.equal(lines.length, 1, host.log);
      assert.match(lines[0], new RegExp(`exec task "${name}": the script exports no function`));
      assert.match(lines[0], /exported functions: .*record.*thrower/);
      assert.equal(host.count(/called index/), 0, "no exec worker started");
    } finally {
      await host.cleanup();
    }
  }
});
