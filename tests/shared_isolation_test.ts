// isolation=shared (issue 27): a task's workers as invocations in one shared
// thread, each keeping what a worker keeps (index, $var, KSR.shutdown, its row);
// one that throws ends alone; one that blocks the thread is named and its
// group restarted while the host answers; stop by index; heap= on a group.
import assert from "node:assert/strict";
import { fixture, runHost, startHost, withHost } from "./helpers/host.ts";

const SHARED = fixture("shared.ts");

type Task = {
  name: string;
  state: string;
  isolation: string;
  worker_kind: string;
  workers: {
    index: number;
    state: string;
    started: string;
    last_error: { message: string } | null;
  }[];
};

Deno.test(
  "shared: three invocations share one isolate, each with its own index and $var",
  withHost(SHARED, { exec: ["name=loop;workers=3;isolation=shared"] }, async (host) => {
    for (const index of ["0", "1", "2"]) {
      await host.waitFor(new RegExp(`loop ${index} var=${index} seen=0,1,2`), 20_000);
    }
    const [loop] = await host.call("evrexec.list") as Task[];
    assert.equal(loop.isolation, "shared");
    assert.equal(loop.worker_kind, "shared");
    assert.deepEqual(loop.workers.map((worker) => worker.state), ["running", "running", "running"]);
    const psx = await host.call("core.psx") as { DSC: string }[];
    assert.equal(
      psx.filter((row) => /loop/.test(JSON.stringify(row))).length,
      3,
      JSON.stringify(psx),
    );
    // Restart by index: only that invocation restarts, the others keep theirs.
    const started = loop.workers.map((worker) => worker.started);
    await host.call("evrexec.restart", ["loop", 1]);
    const since = host.log.length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const [after] = await host.call("evrexec.list") as Task[];
    assert.equal(after.workers[0].started, started[0]);
    assert.notEqual(after.workers[1].started, started[1]);
    assert.equal(after.workers[2].started, started[2]);
    assert.match(host.log.slice(since), /loop 0 var=0/);
    assert.match(host.log.slice(since), /loop 1 var=1/);
    const exit = await host.stop();
    assert.equal(exit.code, 0);
  }),
);

Deno.test(
  "shared: an invocation that throws ends alone; one that blocks the thread is named, its group restarted, RPC answers",
  withHost(SHARED, {
    exec: [
      "name=loop;workers=2;isolation=shared;group=g;restart=always;backoff=200",
      "name=spinner;isolation=shared;group=g",
      "name=thrower;isolation=shared;group=g",
    ],
    args: ["--max-stuck", "4"],
  }, async (host) => {
    await host.waitFor(/task "thrower" worker 0: function failed: Error: thrower 0 failed/, 20_000);
    const thrownAt = host.log.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.match(host.log.slice(thrownAt), /loop 0 var=0/, "the loops go on after the throw");
    const started = performance.now();
    await host.waitFor(
      /shared group "g": task "spinner" worker 0 has blocked the group's thread for over \d+ ms/,
      20_000,
    );
    console.log(`block named ${Math.round(performance.now() - started)} ms after the throw`);
    const tasks = await host.call("evrexec.list") as Task[]; // the host answers
    const spinner = tasks.find((task) => task.name === "spinner")!;
    assert.match(spinner.workers[0].last_error?.message ?? "", /task "spinner" worker 0 blocked/);
    // The loop (restart=always) comes back on a new thread and runs again.
    await host.waitFor(/task "loop" worker 0: worker crashed: .*blocked the shared thread/, 5_000);
    const crashedAt = host.log.lastIndexOf("blocked the shared thread");
    await host.waitFor(/loop 0 var=0/, 10_000);
    for (let i = 0; i < 50 && host.log.lastIndexOf("loop 0 var=0") < crashedAt; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(
      host.log.lastIndexOf("loop 0 var=0") > crashedAt,
      "the loop runs again after the restart",
    );
    assert.ok(!host.hasExited);
  }),
);

Deno.test(
  "shared: a stopped invocation that ignores KSR.shutdown is dropped: it logs no more",
  withHost(SHARED, {
    exec: ["name=deaf;isolation=shared", "name=loop;isolation=shared;group=deafgroup"],
  }, async (host) => {
    await host.waitFor(/deaf 0 tick/, 20_000);
    await host.call("evrexec.stop", ["deaf"]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const ticks = host.count(/deaf 0 tick/);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(host.count(/deaf 0 tick/), ticks, "a dropped invocation's timers fire no more");
    const exit = await host.stop();
    assert.equal(exit.code, 0);
  }),
);

Deno.test(
  "shared: heap= on a group caps its isolate: the hog's thread ends at its cap, its group restarted",
  withHost(SHARED, {
    exec: [
      "name=hog;isolation=shared;group=capped;heap=64",
      "name=loop;isolation=shared;group=capped;heap=64;restart=always;backoff=200",
    ],
  }, async (host) => {
    await host.waitFor(/task "hog" worker 0: worker crashed: OutOfMemoryError/, 60_000);
    await host.waitFor(/task "loop" worker 0: worker crashed: OutOfMemoryError/, 10_000);
    assert.ok(!host.hasExited);
    await host.waitFor(/loop 0 var=0/, 10_000); // restarted on a new thread
    assert.equal((await host.call("evrexec.list") as Task[]).length, 2); // the host answers
  }),
);

for (
  const [args, problem] of [
    [["-e", "name=loop;isolation=shared;group=a b"], /group must be 1 to 64 letters/],
    [["-e", "name=loop;group=g"], /group= needs isolation=shared/],
    [[
      "-e",
      "name=loop;isolation=shared;group=g;heap=64",
      "-e",
      "name=deaf;isolation=shared;group=g",
    ], /group=g differs from exec task "loop" in heap= or allow-\* keys/],
    [["--rpc-pool", "workers=1;isolation=shared"], /isolation=shared is for exec tasks/],
    [
      ["-e", "name=loop;isolation=shared;allow-import=x.org"],
      /allow-import cannot be enforced in a thread/,
    ],
  ] as const
) {
  Deno.test(`shared: ${args.join(" ")} is one line, exit 2`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "evrexec-test-shared-" });
    try {
      const exit = await runHost(["-s", `${dir}/s.sock`, ...args, SHARED]);
      assert.equal(exit.code, 2, exit.stderr);
      assert.match(exit.stderr, problem);
      assert.equal(exit.stderr.trim().split("\n").length, 1, exit.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("shared: a reload that changes one task of a group restarts only its invocations", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-test-shared-" });
  const path = `${dir}/evrexec.jsonc`;
  const config = (deafWorkers: number) =>
    JSON.stringify({
      script: SHARED,
      tasks: [
        "name=loop;workers=2;isolation=shared;group=r",
        `name=deaf;workers=${deafWorkers};isolation=shared;group=r`,
      ],
    });
  await Deno.writeTextFile(path, config(1));
  const host = await startHost(null, { args: ["--config", path] });
  try {
    await host.waitFor(/deaf 0 tick/, 20_000);
    await host.waitFor(/loop 1 var=1/, 20_000);
    type Row = { name: string; workers: { started: string }[] };
    const before = await host.call("evrexec.list") as Row[];
    await Deno.writeTextFile(path, config(2));
    const report = await host.call("evrexec.reload") as {
      changed_tasks: string[];
      kept_tasks: string[];
    };
    assert.deepEqual(report.changed_tasks, ["deaf"]);
    assert.deepEqual(report.kept_tasks, ["loop"]);
    await host.waitFor(/deaf 1 tick/, 20_000);
    const after = await host.call("evrexec.list") as Row[];
    const loopBefore = before.find((task) => task.name === "loop")!;
    const loopAfter = after.find((task) => task.name === "loop")!;
    assert.deepEqual(
      loopAfter.workers.map((w) => w.started),
      loopBefore.workers.map((w) => w.started),
    );
    const since = host.log.length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.match(host.log.slice(since), /loop 0 var=0 seen=0,1/, "the kept loop goes on");
  } finally {
    await host.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "shared: a schedule and evrexec.trigger run each invocation with its own $var",
  withHost(SHARED, { exec: ["name=beat;workers=2;every=300ms;isolation=shared"] }, async (host) => {
    await host.waitFor(/beat 0 var=2/, 20_000);
    await host.waitFor(/beat 1 var=2/, 20_000);
    const since = host.log.length;
    await host.call("evrexec.trigger", ["beat"]);
    await host.waitFor(/beat 0 var=/, 5_000);
    assert.match(host.log.slice(since), /beat [01] var=\d+/);
    const exit = await host.stop();
    assert.equal(exit.code, 0);
  }),
);
