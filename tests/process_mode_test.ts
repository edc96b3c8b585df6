// Process mode (isolation=process, issue 11): a child `deno run` per worker
// behaves as a thread worker does (KSR, logs, $evr, states, policies,
// graceful stop, control methods), is SIGKILLed when it does not stop, never
// outlives the host, and cannot forge or swallow the host's messages.
import assert from "node:assert/strict";
import type { RpcError } from "../src/rpc/errors.ts";
import { fixture, sleep, startHost, withHost } from "./helpers/host.ts";
import { cpuSeconds, processRunning } from "./helpers/proc.ts";

const SANDBOX = fixture("sandbox.ts");
const RUN = ["--allow-run"];

type Worker = { state: string; pid?: number; restarts: number; last_error: unknown };
type Task = { name: string; state: string; workers: Worker[] };

/** Waits up to 2 s for `pids` to be gone; fails naming those left. */
async function gone(pids: number[]): Promise<void> {
  const deadline = Date.now() + 2000;
  while (pids.some(processRunning) && Date.now() < deadline) await sleep(20);
  assert.deepEqual(pids.filter(processRunning), [], "the children are gone");
}

async function pids(host: { call(method: string): Promise<unknown> }, task: string) {
  const [found] = (await host.call("evrexec.list") as Task[]).filter((t) => t.name === task);
  return found.workers.map((worker) => worker.pid);
}

Deno.test(
  "process mode: KSR, logs, $var and $evr, graceful stop, start, restart, ticks and reload, as in a thread",
  withHost(SANDBOX, {
    exec: ["name=steady;isolation=process;workers=2", "name=tick;isolation=process;every=200ms"],
    args: ["--rpc-pool", "workers=1;isolation=process"],
    permissions: RUN,
  }, async (host) => {
    await host.waitFor(/\[INF\] evrexec\.steady\.1: steady up index=1 var=worker 1 evr=\[\]/);
    await host.waitFor(/task steady: all 2 workers running/);
    const first = await pids(host, "steady");
    assert.ok(first.every((pid) => typeof pid === "number" && pid !== host.pid), String(first));
    const psx = await host.call("core.psx") as { task: string; PID: number; isolation: string }[];
    assert.deepEqual(
      psx.filter((row) => row.task === "steady").map((row) => row.PID),
      first,
      "core.psx shows the children's PIDs",
    );
    const rpc = await host.call("evrexec.run", ["where", "data"]) as string;
    const [echo, evr, pid] = rpc.split("|");
    assert.deepEqual([echo, evr], ["data", "data"]);
    assert.notEqual(Number(pid), host.pid, "the call ran in a child");
    await host.call("evrexec.stop", ["steady"]);
    await host.waitFor(/steady 1 saw KSR\.shutdown after \d+ rounds/);
    await gone(first as number[]);
    await host.call("evrexec.start", ["steady"]);
    await host.waitFor(/(task steady: all 2 workers running[\s\S]*){2}/);
    const second = await pids(host, "steady");
    const ups = host.count(/steady up index=0/);
    await host.call("evrexec.restart", ["steady", 0]);
    await host.waitFor(new RegExp(`(steady up index=0[\\s\\S]*){${ups + 1}}`));
    const third = await pids(host, "steady");
    assert.notEqual(third[0], second[0], "restart made a new child");
    assert.equal(third[1], second[1], "the other worker was left alone");
    const [, tickPid] = await host.waitFor(/tick 2 worker 0 in (\d+)/);
    assert.notEqual(Number(tickPid), host.pid, "a timer task ticks in its child");
    const reload = await host.call("evrexec.reload") as { version: number };
    assert.equal(reload.version, 2);
    assert.match(await host.call("evrexec.run", ["where", "v2"]) as string, /^v2\|v2\|\d+$/);
  }),
);

Deno.test(
  "process mode: restart policy and crash loop; a worker's error is logged with task and index",
  withHost(SANDBOX, {
    exec: ["name=boom;isolation=process;restart=on-failure;backoff=100;max_restarts=2"],
    permissions: RUN,
  }, async (host) => {
    await host.waitFor(/task "boom": crash loop: 2 restarts/, 30_000);
    assert.match(
      host.log,
      /\[ERR\] evrexec\.boom\.0: task "boom" worker 0: function failed: Error: boom 0/,
    );
    const [boom] = await host.call("evrexec.list") as Task[];
    assert.equal(boom.state, "failed");
  }),
);

Deno.test(
  "process mode: a spinning child that does not answer the stop is killed; the CPU comes back",
  withHost(SANDBOX, { exec: ["name=spin;isolation=process"], permissions: RUN }, async (host) => {
    const [line] = await host.waitFor(/spinning in \d+/);
    const child = Number(/\d+$/.exec(line)![0]);
    const busy = cpuSeconds(child);
    await sleep(500);
    console.log(
      `spinning child: ${((cpuSeconds(child) - busy) / 0.5 * 100).toFixed(0)}% of a core`,
    );
    const started = performance.now();
    await host.call("evrexec.stop", ["spin"]);
    console.log(`evrexec.stop answered in ${Math.round(performance.now() - started)} ms`);
    const deadline = Date.now() + 2000;
    while (processRunning(child) && Date.now() < deadline) await sleep(20);
    assert.ok(!processRunning(child), "the spinning child was killed");
    const hostCpu = cpuSeconds(host.pid);
    await sleep(1000);
    const share = cpuSeconds(host.pid) - hostCpu;
    console.log(`host after the stop: ${(share * 100).toFixed(0)}% of a core`);
    assert.ok(share < 0.2, `the host idles (${(share * 100).toFixed(0)}% of a core)`);
    const rows = await host.call("core.psx") as { state: string }[];
    assert.equal(rows.filter((row) => row.state === "stuck").length, 0, "a process is never stuck");
  }),
);

Deno.test(
  "process mode: a call stuck in synchronous code is answered -32001 and its process killed",
  withHost(SANDBOX, {
    args: ["--rpc-pool", "workers=1;isolation=process", "--rpc-timeout", "500", "--max-stuck", "0"],
    permissions: RUN,
  }, async (host) => {
    const c = await host.client();
    const [before] = (await c.call("core.psx") as { task: string; PID: number }[])
      .filter((row) => row.task === "rpc");
    const error = await c.call("evrexec.run", ["spin"]).then(
      () => assert.fail("spin cannot answer"),
      (error) => error as RpcError,
    );
    assert.equal(error.code, -32001);
    const deadline = Date.now() + 2000;
    while (processRunning(before.PID) && Date.now() < deadline) await sleep(20);
    assert.ok(!processRunning(before.PID), "the spinning process was killed");
    assert.match(await c.call("evrexec.run", ["where", "next"]) as string, /^next\|next\|/);
    assert.match(await c.call("evrexec.run", ["where", "again"]) as string, /^again\|/);
    assert.ok(!host.hasExited, "not stuck: --max-stuck 0 did not end the host");
  }),
);

Deno.test("process mode: SIGKILL of the host alone leaves no child after 2 s", async () => {
  const host = await startHost(SANDBOX, {
    exec: ["name=steady;isolation=process;workers=2", "name=spin;isolation=process"],
    args: ["--rpc-pool", "workers=2;isolation=process"],
    permissions: RUN,
  });
  try {
    await host.waitFor(/spinning in \d+/);
    await host.waitFor(/steady up index=1/);
    // The pool's second worker starts once the tasks run: wait for all five.
    let rows: { PID: number }[] = [];
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(100)) {
      rows = await host.call("core.psx") as { PID: number }[];
      if (rows.filter((row) => row.PID !== host.pid).length === 5) break;
    }
    const children = rows.map((row) => row.PID).filter((pid) => pid !== host.pid);
    assert.equal(children.length, 5, JSON.stringify(rows));
    Deno.kill(host.pid, "SIGKILL"); // the host alone, not its process group
    await host.exited;
    const killed = performance.now();
    const deadline = killed + 2000;
    while (children.some(processRunning) && performance.now() < deadline) await sleep(20);
    const left = children.filter(processRunning);
    console.log(`children gone ${Math.round(performance.now() - killed)} ms after SIGKILL`);
    for (const pid of left) Deno.kill(pid, "SIGKILL");
    assert.deepEqual(left, [], "no child outlived the host by 2 s");
  } finally {
    await host.cleanup();
  }
});

/** The pids of the process workers whose host was `hostPid` (their command line names it). */
function childrenOf(hostPid: number): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const args = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).split("\0");
      const at = args.findIndex((arg) => arg.endsWith("process_main.ts"));
      if (at >= 0 && args[at + 1] === String(hostPid)) found.push(Number(entry.name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

Deno.test("process mode: a host SIGKILLed while its children start leaves none behind", async () => {
  for (let round = 0; round < 6; round++) {
    const host = await startHost(SANDBOX, {
      exec: ["name=steady;isolation=process;workers=6"],
      args: ["--rpc-pool", "workers=2;isolation=process"],
      permissions: RUN,
      ready: false,
    });
    try {
      // Kill the host while children are being launched or are loading.
      const deadline = Date.now() + 15_000;
      while (childrenOf(host.pid).length < 2 && Date.now() < deadline) await sleep(10);
      await sleep(50 * round);
      const started = childrenOf(host.pid);
      Deno.kill(host.pid, "SIGKILL");
      await host.exited;
      const killed = performance.now();
      let left = childrenOf(host.pid);
      while (left.length > 0 && performance.now() - killed < 3000) {
        await sleep(50);
        left = childrenOf(host.pid);
      }
      console.log(
        `round ${round}: ${started.length} children seen, all gone ` +
          `${Math.round(performance.now() - killed)} ms after the host's SIGKILL`,
      );
      for (const pid of left) Deno.kill(pid, "SIGKILL");
      assert.deepEqual(left, [], "no child outlived its host by 3 s");
    } finally {
      await host.cleanup();
    }
  }
});

Deno.test(
  "process mode: the script cannot forge or swallow the host's messages (stdout, stdin, process.send)",
  withHost(SANDBOX, {
    exec: ["name=forger;isolation=process"],
    permissions: RUN,
  }, async (host) => {
    const [line] = await host.waitFor(/forger 0: .*/);
    console.log(line);
    assert.match(line, /send=\w*Error/, "process.send throws in the script's worker");
    await sleep(500);
    const [forger] = await host.call("evrexec.list") as Task[];
    assert.equal(forger.workers[0].state, "running", "no forged 'ended' reached the host");
    await host.call("evrexec.stop", ["forger"]);
    const [stopped] = await host.call("evrexec.list") as Task[];
    assert.equal(stopped.workers[0].state, "stopped", "the host's stop was not swallowed");
  }),
);
