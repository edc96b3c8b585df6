// Out of file descriptors while workers start (issue 29, item 2): a restart
// of a stopped process task, Web Worker task and capped-thread task, with
// every descriptor of the host taken by RPC connections, fails that start
// alone (logged, the policy tries again); the host lives, answers once the
// descriptors are freed, and every task comes back.
import assert from "node:assert/strict";
import { fixture, sleep, withHost } from "./helpers/host.ts";
import { openFds } from "./helpers/proc.ts";
import { RawClient } from "./helpers/raw.ts";

const SANDBOX = fixture("sandbox.ts");
const TASKS = ["steady", "probe", "tick"];
const POLICY = "restart=on-failure;backoff=100;backoff_max=400;max_restarts=1000";

type Worker = { state: string; restarts: number; last_error: { message: string } | null };
type Task = { name: string; workers: Worker[] };

const hasPrlimit = await new Deno.Command("prlimit", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
}).output().then((o) => o.success, () => false);
if (!hasPrlimit) console.log("descriptor exhaustion: prlimit is not installed; skipping");

/** Sets the soft limit of open files of process `pid`. */
async function limitFiles(pid: number, soft: number): Promise<void> {
  const out = await new Deno.Command("prlimit", { args: [`--pid=${pid}`, `--nofile=${soft}:`] })
    .output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

Deno.test({
  name: "descriptors: out of them, worker starts fail alone and the tasks come back",
  ignore: !hasPrlimit,
  fn: withHost(SANDBOX, {
    exec: [
      `name=steady;isolation=process;${POLICY}`,
      `name=probe;heap=0;${POLICY}`,
      `name=tick;every=200ms;${POLICY}`,
    ],
    permissions: ["--allow-run"],
  }, async (host) => {
    await host.waitFor(/steady up index=0/);
    await host.waitFor(/tick 2 worker 0/);
    const control = await host.client();
    await sleep(500);
    // Stopped first, so that the hogs take the descriptors their workers held.
    for (const task of TASKS) await control.call("evrexec.stop", [task]);
    await host.waitFor(/steady 0 saw KSR\.shutdown/);
    await sleep(500);
    const limit = openFds(host.pid) + 24; // room for the workers, not for 40 more connections
    await limitFiles(host.pid, limit);
    const hogs: RawClient[] = [];
    try {
      for (let i = 0; i < 40; i++) hogs.push(await RawClient.connect(host.socket));
      await host.waitFor(/accepting a connection failed: .*Too many open files/);
      const fails = host.count(/cannot start a worker|could not be started/);
      for (const task of TASKS) await control.call("evrexec.restart", [task]);
      await host.waitFor(
        new RegExp(`(cannot start a worker|could not be started)[\\s\\S]*`.repeat(fails + 3)),
        20_000,
      );
      await sleep(1000); // more tries, each failing
      // A reload needs `deno info` and a worker to load the script: refused, the host running on.
      const reload = await control.call("evrexec.reload").then(
        () => "reloaded",
        (error: Error) => error.message,
      );
      console.log(`evrexec.reload out of descriptors: ${reload.slice(0, 160)}`);
      assert.ok(!host.hasExited, `the host lives:\n${host.log.slice(-2000)}`);
      for (const task of TASKS) {
        assert.match(
          host.log,
          new RegExp(`task "?${task}"? worker 0: worker crashed: .*(file descriptors|Too many)`),
          `the failed start of ${task} is logged`,
        );
      }
      console.log(
        `limit ${limit}: ${host.count(/cannot start a worker|could not be started/)} failed ` +
          `start(s) logged, host alive`,
      );
    } finally {
      for (const hog of hogs) await hog.close();
    }
    const freed = performance.now();
    let tasks: Task[] = [];
    for (let i = 0; i < 200; i++) {
      tasks = await control.call("evrexec.list") as Task[];
      if (tasks.every((task) => task.workers.every((w) => w.state === "running"))) break;
      await sleep(100);
    }
    console.log(
      `descriptors freed: every task running again after ${
        Math.round(performance.now() - freed)
      } ms`,
    );
    for (const task of tasks) {
      assert.deepEqual(task.workers.map((w) => w.state), ["running"], task.name);
      assert.ok(task.workers[0].restarts >= 2, `${task.name} was tried again by its policy`);
    }
    const rows = await control.call("stats.get_statistics", ["all"]) as string[];
    const failures = Number(
      /= (\d+)$/.exec(rows.find((row) => row.startsWith("evrexec:failures ")) ?? "")?.[1],
    );
    assert.ok(failures >= 3, `every failed start is counted (evrexec:failures = ${failures})`);
    const ups = host.count(/steady up index=0/);
    assert.ok(ups >= 2, "the process task came back");
    assert.equal(await host.call("core.version").then(() => "ok"), "ok");
    assert.ok(!host.hasExited);
  }),
});
