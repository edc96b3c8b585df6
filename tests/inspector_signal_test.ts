// Deno's debugger signal (issue 21, item 1): Deno 2.9.2+ opens its inspector on
// 127.0.0.1:9229 when a process gets SIGUSR1. The host and its process workers
// start with the inspector parked where no TCP connect reaches it, so SIGUSR1
// opens no port; the host refuses to start when it cannot park it; and a script
// that un-parks it (node:inspector's close()) finds a SIGUSR1's debugger closed
// at once and reported.
import assert from "node:assert/strict";
import { fixture, sleep, startHost, type TestHost } from "./helpers/host.ts";
import { anyListenerOn, type Listener, listeners, tryConnect } from "./helpers/listening.ts";
import { processRunning } from "./helpers/proc.ts";

const SCRIPT = fixture("inspector.ts");
/** Deno listens for SIGUSR1 only 500 ms after a process starts: wait well past that. */
const GRACE_MS = 1500;

const sorted = (found: Listener[]) =>
  found.map((l) => `${l.address}:${l.port}`).sort((a, b) => a.localeCompare(b));

/** Asserts that no listening socket of `pid` is on 9229 or takes a connection. */
async function nothingReachable(pid: number, what: string): Promise<void> {
  for (const { address, port } of listeners(pid)) {
    assert.notEqual(port, 9229, `${what} listens on 9229`);
    assert.ok(!address.includes(":"), `${what} listens on IPv6 ${address}:${port}`);
    assert.notEqual(await tryConnect(address, port), "connected", `${what}: ${address}:${port}`);
    assert.notEqual(await tryConnect("127.0.0.1", port), "connected", `${what}: 127.0.0.1:${port}`);
  }
  if (!anyListenerOn(9229)) {
    assert.notEqual(await tryConnect("127.0.0.1", 9229), "connected", "127.0.0.1:9229");
  }
}

/** The pid of the child that logged `idle 0 up in pid N`. */
async function childPid(host: TestHost, fn: string): Promise<number> {
  const [, pid] = await host.waitFor(new RegExp(`${fn} 0 \\S* ?.*in pid (\\d+)`));
  return Number(pid);
}

Deno.test("debugger signal: SIGUSR1 opens no port in the host or in a process worker", async () => {
  const host = await startHost(SCRIPT, {
    exec: ["name=idle;isolation=process"],
    permissions: ["--allow-run"],
  });
  try {
    const child = await childPid(host, "idle");
    assert.notEqual(child, host.pid);
    await sleep(GRACE_MS);
    const before = { host: sorted(listeners(host.pid)), child: sorted(listeners(child)) };
    console.log(`listening before SIGUSR1: host ${before.host}, child ${before.child}`);
    assert.ok(
      before.host.every((l) => l.startsWith("127.255.255.255:")),
      `the host parks its inspector: ${before.host}`,
    );
    Deno.kill(host.pid, "SIGUSR1");
    Deno.kill(child, "SIGUSR1");
    await sleep(1000);
    assert.deepEqual(sorted(listeners(host.pid)), before.host, "no new socket in the host");
    assert.deepEqual(sorted(listeners(child)), before.child, "no new socket in the child");
    await nothingReachable(host.pid, "the host");
    await nothingReachable(child, "the process worker");
    assert.ok(processRunning(child), "SIGUSR1 did not end the child");
    const [task] = await host.call("evrexec.list") as { workers: { pid: number }[] }[];
    assert.equal(task.workers[0].pid, child, "the same child runs on");
    await host.waitFor(/\[WRN\] evrexec: SIGUSR1 received: it does nothing here/);
    assert.doesNotMatch(host.log, /Debugger listening/);
  } finally {
    await host.cleanup();
  }
});

Deno.test("debugger signal: the host refuses to start when it cannot park the inspector", async () => {
  const host = await startHost(SCRIPT, { exec: ["name=idle"], parked: false, ready: false });
  try {
    const exit = await host.waitExit();
    assert.equal(exit.code, 2, exit.stderr);
    assert.match(
      exit.stderr,
      /^evrexec-deno: Deno \S+ opens a debugger on 127\.0\.0\.1:9229 when the host gets SIGUSR1, and any local user could drive it: run deno with --inspect=127\.255\.255\.255:0 --inspect-publish-uid=http \(as the deno tasks do\) or with --allow-sys/m,
    );
    assert.doesNotMatch(exit.stderr, /host ready/);
  } finally {
    await host.cleanup();
  }
});

Deno.test("debugger signal: with --allow-sys the host parks the inspector itself", async () => {
  const host = await startHost(SCRIPT, {
    exec: ["name=idle"],
    parked: false,
    permissions: ["--allow-sys"],
  });
  try {
    await host.waitFor(/Deno's inspector is parked on 127\.255\.255\.255:\d+/);
    await sleep(GRACE_MS);
    const before = sorted(listeners(host.pid));
    assert.equal(before.length, 1, String(before));
    Deno.kill(host.pid, "SIGUSR1");
    await sleep(1000);
    assert.deepEqual(sorted(listeners(host.pid)), before);
    await nothingReachable(host.pid, "the host");
  } finally {
    await host.cleanup();
  }
});

Deno.test("debugger signal: a script that closes the parked inspector gets SIGUSR1's debugger closed at once", async () => {
  if (anyListenerOn(9229)) {
    console.log("skipped: another process listens on 9229, where Deno would open the debugger");
    return;
  }
  const host = await startHost(SCRIPT, {
    exec: ["name=unpark;isolation=process"],
    permissions: ["--allow-run"],
  });
  try {
    const child = await childPid(host, "unpark");
    assert.equal(await host.call("evrexec.run", ["closeInspector"]), "closed");
    await sleep(GRACE_MS);
    for (const round of [1, 2]) {
      Deno.kill(host.pid, "SIGUSR1");
      const pattern = new RegExp(
        `(SIGUSR1 opened Deno's debugger on 127\\.0\\.0\\.1:9229 \\(code in this process had ` +
          `closed the parked inspector\\); closed it after (\\d+) ms; restart the host to park ` +
          `it again[\\s\\S]*){${round}}`,
      );
      const [, , ms] = await host.waitFor(pattern);
      console.log(`host, round ${round}: closed ${ms} ms after the signal`);
      await sleep(200);
      await nothingReachable(host.pid, `the host (round ${round})`);
    }
    Deno.kill(child, "SIGUSR1");
    const [, ms] = await host.waitFor(
      /SIGUSR1 opened Deno's debugger on 127\.0\.0\.1:9229 in process worker unpark#0 \(its script had closed the parked inspector\); closed it after (\d+) ms/,
    );
    console.log(`process worker: closed ${ms} ms after the signal`);
    await sleep(200);
    await nothingReachable(child, "the process worker");
    assert.ok(processRunning(child), "the child runs on");
  } finally {
    await host.cleanup();
  }
});
