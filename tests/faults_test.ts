// Faults: a task that throws at once under restart=always, a worker that
// allocates without end, SIGKILL and a new start, SIGTERM under load.
import assert from "node:assert/strict";
import { fixture, sleep, startHost, withHost } from "./helpers/host.ts";
import { cpuSeconds } from "./helpers/proc.ts";
import { RawClient } from "./helpers/raw.ts";

const FAULTS = fixture("faults.ts");

Deno.test(
  "faults: a function that throws at once under restart=always: backoff keeps the CPU low, the limit trips",
  withHost(FAULTS, {
    exec: ["name=boom;restart=always;backoff=200;workers=2", "name=idle"],
    args: ["--rpc-workers", "1"],
  }, async (host) => {
    // Measured once start-up is over (workers are created after "host ready").
    await host.waitFor(/task idle: 1 worker running/);
    const cpuStart = cpuSeconds(host.pid);
    const started = performance.now();
    await host.waitFor(/task "boom": crash loop: 5 restarts within 60000 ms/, 20_000);
    const seconds = (performance.now() - started) / 1000;
    const share = (cpuSeconds(host.pid) - cpuStart) / seconds;
    console.log(
      `crash loop tripped after ${seconds.toFixed(1)} s using ${
        (share * 100).toFixed(0)
      }% of a core`,
    );
    assert.ok(share < 0.6, `CPU share during the crash loop: ${(share * 100).toFixed(0)}%`);
    const idleStart = cpuSeconds(host.pid);
    await sleep(1500);
    const idleShare = (cpuSeconds(host.pid) - idleStart) / 1.5;
    assert.ok(idleShare < 0.1, `CPU share after the limit: ${(idleShare * 100).toFixed(0)}%`);
    const [boom, idle] = await host.call("evrexec.list") as { state: string }[];
    assert.equal(boom.state, "failed");
    assert.equal(idle.state, "active");
  }),
);

Deno.test(
  "faults: an uncapped worker that allocates without end is stopped by the RSS watchdog; the host survives",
  withHost(FAULTS, {
    exec: ["name=hog;restart=on-failure;backoff=500;max_restarts=1", "name=idle"],
    // Uncapped Web Workers: the RSS watchdog is their only defence.
    args: ["--memory-limit", "400", "--worker-heap", "0"],
  }, async (host) => {
    await host.waitFor(
      /task "hog" worker 0: worker crashed: MemoryLimitError: out of memory: the host's RSS reached \d+ MiB \(--memory-limit 400 MiB\) and this worker held \d+ MiB of heap/,
      30_000,
    );
    assert.equal(await host.call("evrexec.run", ["echo", "alive"]), "alive");
    console.log(/out of memory: [^;]*/.exec(host.log)?.[0]);
    await host.waitFor(/task "hog": crash loop/, 30_000);
    const [hog, idle] = await host.call("evrexec.list") as {
      state: string;
      workers: { last_error: { message: string } }[];
    }[];
    assert.equal(hog.state, "failed");
    assert.match(hog.workers[0].last_error.message, /^out of memory/);
    assert.equal(idle.state, "active");
    await sleep(1000);
    assert.ok(!host.hasExited, "the host is still running");
  }),
);

Deno.test(
  "faults: an uncapped allocation that never yields cannot be stopped; the host exits 1 with one clear line",
  async () => {
    const host = await startHost(FAULTS, {
      exec: ["name=syncHog"],
      args: ["--memory-limit", "400", "--worker-heap", "0"],
    });
    try {
      const exit = await host.waitExit(60_000);
      console.log(`synchronous allocator: exit ${exit.code} after ${Math.round(exit.ms)} ms`);
      assert.equal(exit.code, 1, exit.stderr);
      assert.match(
        exit.stderr,
        /\[FTL\] evrexec: out of memory: .* stuck in synchronous code \(task "syncHog" worker 0\), which Deno cannot interrupt; exiting before V8 aborts the process/,
      );
      assert.doesNotMatch(exit.stderr, /Fatal JavaScript out of memory/);
      // The answering workers (the RPC pool) are innocent: their heaps do not explain the growth.
      assert.doesNotMatch(exit.stderr, /MemoryLimitError/);
    } finally {
      await host.cleanup();
    }
  },
);

Deno.test("faults: after SIGKILL a new host starts on the same socket path", async () => {
  const first = await startHost(FAULTS, { exec: ["name=idle"] });
  try {
    await first.stop("SIGKILL");
    assert.ok((await Deno.lstat(first.socket)).isSocket, "the killed host left its socket");
    const second = await startHost(FAULTS, { socket: first.socket });
    try {
      assert.match(second.log, /removed a stale socket/);
      assert.equal(await second.call("evrexec.run", ["echo", "again"]), "again");
    } finally {
      await second.cleanup();
    }
  } finally {
    await first.cleanup();
  }
});

Deno.test("faults: SIGTERM under load: every call read gets an answer, none vanishes", async () => {
  const host = await startHost(FAULTS, { args: ["--rpc-workers", "2"] });
  try {
    const clients = await Promise.all(
      Array.from({ length: 4 }, () => RawClient.connect(host.socket)),
    );
    const perClient = 200;
    await Promise.all(clients.map((client) =>
      client.send(
        Array.from({ length: perClient }, (_, i) =>
          JSON.stringify({ jsonrpc: "2.0", method: "evrexec.run", params: ["slow", "20"], id: i }) +
          "\n").join(""),
      )
    ));
    await sleep(300);
    const exit = host.stop("SIGTERM");
    let ok = 0, busy = 0;
    for (const client of clients) {
      assert.ok(await client.waitEnd(15_000), "the host closes every connection");
      const answered = client.lineCount;
      const answers = await client.lines(answered) as {
        id: number;
        result?: number;
        error?: { code: number };
      }[];
      const ids = new Set(answers.map((a) => a.id));
      assert.equal(ids.size, answers.length, "no id answered twice");
      for (const answer of answers) {
        if (answer.result === 20) ok++;
        else if (answer.error?.code === -32002) busy++;
        else assert.fail(`unexpected answer ${JSON.stringify(answer)}`);
      }
      // What the host read, it answered: the answered ids are exactly 0..answered-1 (read in order).
      assert.deepEqual(
        [...ids].sort((a, b) => a - b),
        Array.from({ length: answered }, (_, i) => i),
      );
      await client.close();
    }
    assert.equal((await exit).code, 0);
    console.log(`SIGTERM under load: ${ok} results, ${busy} busy answers`);
    assert.ok(ok > 0 && busy > 0, "some calls finished and the queued ones were refused");
  } finally {
    await host.cleanup();
  }
});
