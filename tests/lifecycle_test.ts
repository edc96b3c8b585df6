// Lifecycle under unlucky timing: overlapping stop, start, restart and
// reload leave no worker nothing owns; a reload in the first second starts
// the new pool once; control methods are refused once the host is stopping.
import assert from "node:assert/strict";
import { RpcError } from "../src/rpc/errors.ts";
import { fixture, sleep, startHost, type TestHost } from "./helpers/host.ts";
import { threadCount, workerThreadCount } from "./helpers/proc.ts";

const LIFECYCLE = fixture("lifecycle.ts");

type Task = { workers: { state: string }[] };

/** Waits until every exec worker runs its function. */
async function allRunning(host: TestHost, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const tasks = await host.call("evrexec.list") as Task[];
    if (tasks.every((task) => task.workers.every((w) => w.state === "running"))) return;
    if (Date.now() > deadline) assert.fail(`not all running: ${JSON.stringify(tasks)}`);
    await sleep(200);
  }
}

/**
 * Waits until the host has `expected` worker threads (terminated ones take a
 * moment to end) or `timeoutMs` has passed; returns the last count.
 */
async function workerThreads(pid: number, expected: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = workerThreadCount(pid);
  while (count !== expected && Date.now() < deadline) {
    await sleep(250);
    count = workerThreadCount(pid);
  }
  return count;
}

/** Calls `method`; an error answer is an answer too. */
async function answer(host: TestHost, method: string, params: unknown[]): Promise<string> {
  try {
    await host.call(method, params);
    return "ok";
  } catch (error) {
    assert.ok(error instanceof RpcError, `${method}: ${error}`);
    return `${error.code}`;
  }
}

Deno.test("lifecycle: overlapping restart, reload, stop and start leave no orphaned worker", async () => {
  const host = await startHost(LIFECYCLE, {
    exec: ["name=tidy;workers=2;restart=on-failure", "name=kamailio;workers=2;restart=on-failure"],
    args: ["--rpc-workers", "2", "--shutdown-timeout", "2000"],
  });
  try {
    await allRunning(host);
    assert.equal(await workerThreads(host.pid, 6), 6, "4 exec and 2 pool worker threads");
    const before = threadCount(host.pid);
    // Each round overlaps a restart with a reload of the same tasks (both wait
    // for the same loops to stop), then stop, start and restart of one task.
    const rounds: [string, unknown[]][][] = [[
      ["evrexec.restart", ["tidy"]],
      ["evrexec.reload", []],
      ["evrexec.restart", ["kamailio"]],
      ["evrexec.restart", ["tidy", 1]],
    ], [
      ["evrexec.stop", ["tidy"]],
      ["evrexec.start", ["tidy"]],
      ["evrexec.restart", ["tidy"]],
      ["evrexec.stop", ["kamailio"]],
      ["evrexec.restart", ["kamailio", 0]],
      ["evrexec.start", ["kamailio"]],
    ]];
    const codes: string[] = [];
    for (let round = 0; round < 6; round++) {
      const calls = rounds[round % 2].map(async ([method, params], i) => {
        await sleep(40 * i);
        return await answer(host, method, params);
      });
      codes.push(...await Promise.all(calls));
    }
    console.log(`storm answers: ${codes.join(" ")}`);
    await answer(host, "evrexec.start", ["tidy"]);
    await answer(host, "evrexec.start", ["kamailio"]);
    await allRunning(host);
    const workers = await workerThreads(host.pid, 6);
    console.log(
      `threads: ${before} before the storm, ${threadCount(host.pid)} after; ` +
        `worker threads after: ${workers}`,
    );
    assert.equal(workers, 6, "4 exec and 2 pool worker threads, none orphaned");
    const rows = await host.call("core.psx") as { task: string }[];
    assert.equal(rows.filter((row) => row.task !== "rpc").length, 4, "four exec workers");
  } finally {
    await host.cleanup();
  }
});

Deno.test("lifecycle: a reload in the host's first second starts the new pool once", async () => {
  // wait=3 s: the tasks do not run within the first second, so the rest of the
  // first pool is due at the one-second mark, after the reload has replaced it.
  const host = await startHost(LIFECYCLE, {
    exec: ["name=kamailio;wait=3000000"],
    args: ["--rpc-workers", "12"],
  });
  try {
    const report = await host.call("evrexec.reload") as { version: number };
    assert.equal(report.version, 2);
    await allRunning(host);
    const workers = await workerThreads(host.pid, 13);
    console.log(
      `worker threads after a reload in the first second: ${workers} (Threads: ${
        threadCount(host.pid)
      })`,
    );
    assert.equal(workers, 13, "1 exec and 12 pool worker threads, none orphaned");
    assert.equal(await host.call("evrexec.run", ["ping"]), "pong");
  } finally {
    await host.cleanup();
  }
});

Deno.test("lifecycle: control methods are refused with -32002 once the host is stopping", async () => {
  const host = await startHost(LIFECYCLE, { exec: ["name=tidy;restart=on-failure"] });
  try {
    await host.waitFor(/tidy up index=0/);
    const client = await host.client();
    await client.call("core.version"); // the connection is accepted before the stop
    host.process.kill("SIGTERM");
    await host.waitFor(/SIGTERM received; stopping/);
    const calls: [string, unknown[]][] = [
      ["evrexec.start", ["tidy"]],
      ["evrexec.restart", ["tidy"]],
      ["evrexec.stop", ["tidy"]],
      ["evrexec.reload", []],
    ];
    for (const [method, params] of calls) {
      const error = await client.call(method, params).then(
        () => assert.fail(`${method} was served during the stop`),
        (e) => e as RpcError,
      );
      assert.equal(error.code, -32002, `${method}: ${error.message}`);
      assert.match(error.message, /the host is stopping/);
    }
    const exit = await host.waitExit();
    assert.equal(exit.code, 0);
    assert.equal(host.count(/tidy up index=0/), 1, "nothing was started after the stop signal");
  } finally {
    await host.cleanup();
  }
});
