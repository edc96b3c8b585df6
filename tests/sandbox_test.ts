// Sandboxes per task (issue 11): heap caps end a worker alone, in a task and
// in the RPC pool, in both modes; allow-* keys give a worker exactly what
// they name, in a thread and in a process; a thread sandbox without
// --unstable-worker-options stops start-up with one line.
import assert from "node:assert/strict";
import type { RpcError } from "../src/rpc/errors.ts";
import { fixture, startHost, withHost } from "./helpers/host.ts";

const SANDBOX = fixture("sandbox.ts");

type Task = {
  name: string;
  state: string;
  isolation: string;
  worker_kind: string;
  heap_mib: number;
  permissions: string;
  workers: { state: string; pid?: number; last_error: { message: string } | null }[];
};

for (const isolation of ["thread", "process"]) {
  Deno.test(
    `sandbox (${isolation}): heap=64: the allocating worker fails alone and is restarted; RPC answers`,
    withHost(SANDBOX, {
      exec: [
        `name=hog;heap=64;isolation=${isolation};restart=on-failure;backoff=200;max_restarts=1`,
        "name=steady",
      ],
      permissions: ["--allow-run"],
    }, async (host) => {
      const started = performance.now();
      await host.waitFor(
        /task "hog" worker 0: worker crashed: OutOfMemoryError: out of memory \(heap cap 64 MiB\); restarting in 200 ms/,
        60_000,
      );
      console.log(
        `${isolation}: out of memory after ${Math.round(performance.now() - started)} ms`,
      );
      assert.match(await host.call("evrexec.run", ["where", "alive"]) as string, /^alive\|alive\|/);
      await host.waitFor(/task "hog": crash loop: 1 restart within/, 60_000);
      const [hog, steady] = await host.call("evrexec.list") as Task[];
      assert.equal(hog.state, "failed");
      assert.equal(hog.workers[0].last_error?.message, "out of memory (heap cap 64 MiB)");
      assert.equal(hog.heap_mib, 64);
      assert.equal(hog.isolation, isolation);
      assert.equal(steady.state, "active");
      assert.ok(!host.hasExited);
    }),
  );

  Deno.test(
    `sandbox (${isolation}): --rpc-pool heap=64: a run out of heap is answered with the error, the worker replaced`,
    withHost(SANDBOX, {
      args: ["--rpc-pool", `workers=1;heap=64;isolation=${isolation}`, "--rpc-timeout", "60000"],
      permissions: ["--allow-run"],
    }, async (host) => {
      const c = await host.client();
      const error = await c.call("evrexec.run", ["hog"]).then(
        () => assert.fail("hog cannot answer"),
        (error) => error as RpcError,
      );
      // A thread past its cap is found whatever Deno reports (see repro/node_worker_heap_hang.ts).
      assert.match(
        error.message,
        isolation === "thread"
          ? /^hog: worker crashed: out of memory \(heap cap 64 MiB\)$/
          : /^hog: worker crashed: out of memory \(heap cap 64 MiB\)$|^hog did not answer within 60000 ms; its worker was replaced$/,
      );
      if (!error.message.includes("out of memory")) {
        console.log(`not seen as out of memory: ${error.message}`);
      }
      const answer = await c.call("evrexec.run", ["where", "after"]) as string;
      assert.match(answer, /^after\|after\|\d+$/);
      const [row] = (await c.call("core.psx") as { task: string; restarts: number }[])
        .filter((row) => row.task === "rpc");
      assert.equal(row.restarts, 1, "the pool replaced its worker");
    }),
  );

  Deno.test(
    `sandbox (${isolation}): allow-read=<dir> reads inside, is denied /etc/hostname and the rest`,
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "evrexec-sandbox-" });
      await Deno.writeTextFile(`${dir}/inside.txt`, "hello from inside");
      const host = await startHost(SANDBOX, {
        exec: [`name=probe;isolation=${isolation};allow-read=${dir};allow-env=SANDBOX_DIR`],
        args: ["--rpc-pool", `workers=1;isolation=${isolation};allow-read=${dir}`],
        env: { SANDBOX_DIR: dir },
        permissions: ["--allow-run"],
      });
      try {
        const [line] = await host.waitFor(/sandbox 0: .*/);
        console.log(`${isolation}: ${line}`);
        assert.match(line, /inside=ok hello from inside/);
        assert.match(line, /outside=NotCapable/);
        assert.match(line, /home=NotCapable/);
        assert.match(line, /net=NotCapable/);
        const rpc = await host.call("evrexec.run", ["probeRpc", dir]) as string;
        assert.match(rpc, /^inside=ok hello from inside outside=NotCapable home=NotCapable/);
        const [task] = await host.call("evrexec.list") as Task[];
        assert.equal(task.permissions, `allow-read=${dir};allow-env=SANDBOX_DIR`);
        assert.equal(task.worker_kind, isolation === "thread" ? "web-worker" : "process");
        if (isolation === "process") assert.equal(typeof task.workers[0].pid, "number");
      } finally {
        await host.cleanup();
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}

/** Milliseconds between two log lines of the host, read from their timestamps. */
function logGap(from: string, to: string): number {
  const at = (line: string) => Date.parse(line.slice(0, 23).replace(" ", "T") + "Z");
  return at(to) - at(from);
}

// Issue 21, item 10: Deno 2.9 leaves most capped threads that run out of heap alive (see
// repro/node_worker_heap_hang.ts); each must still be ended and reported within 2 s, every time.
Deno.test(
  "sandbox (thread): 20 heap-cap trials in a row: each capped exec worker and each capped RPC call out of heap is reported out of memory within 2 s",
  withHost(SANDBOX, {
    exec: ["name=hog;heap=64;restart=always;backoff=100;backoff_max=200;max_restarts=19"],
    args: ["--rpc-pool", "workers=1;heap=64", "--rpc-timeout", "60000"],
  }, async (host) => {
    const TRIALS = 20;
    const crash =
      /^.*task "hog" worker 0: worker crashed: OutOfMemoryError: out of memory \(heap cap 64 MiB\).*$/gm;
    await host.waitFor(/task "hog": crash loop: 19 restarts/, 120_000);
    const starts = host.log.match(/^.*hog: allocating$/gm) ?? [];
    const crashes = host.log.match(crash) ?? [];
    assert.equal(starts.length, TRIALS, host.log);
    assert.equal(crashes.length, TRIALS, host.log);
    const exec = starts.map((start, i) => logGap(start, crashes[i]));
    const rpc: number[] = [];
    const c = await host.client();
    for (let trial = 0; trial < TRIALS; trial++) {
      await c.call("evrexec.run", ["where", "up"]); // queued until the pool's worker is back
      const started = performance.now();
      const error = await c.call("evrexec.run", ["hog"]).then(
        () => assert.fail("hog cannot answer"),
        (error) => error as RpcError,
      );
      rpc.push(performance.now() - started);
      assert.equal(error.code, -32603);
      assert.equal(error.message, "hog: worker crashed: out of memory (heap cap 64 MiB)");
    }
    const figures = (ms: number[]) =>
      `max ${Math.round(Math.max(...ms))} ms, median ${
        Math.round(ms.toSorted((a, b) => a - b)[ms.length >> 1])
      } ms`;
    console.log(
      `exec: ${TRIALS} of ${TRIALS} out of memory, from "allocating" to the report ${
        figures(exec)
      } (${host.count(/Deno did not end it/)} of ${2 * TRIALS} found by the heartbeat); ` +
        `RPC: ${TRIALS} of ${TRIALS}, call to answer ${figures(rpc)}`,
    );
    // 2 s is the promise; on a machine loaded past twice its cores (other test runs beside
    // this one: a load of 23 on 2 cores was seen) the allocation itself slows, so 4 s.
    const [load] = Deno.loadavg();
    const bound = load > 2 * navigator.hardwareConcurrency ? 4000 : 2000;
    for (const ms of [...exec, ...rpc]) {
      assert.ok(ms <= bound, `${ms} ms: over ${bound / 1000} s (load average ${load})`);
    }
  }),
);

Deno.test(
  "sandbox (thread): a capped worker blocked in a synchronous call is not taken for out of memory",
  withHost(SANDBOX, {
    exec: ["name=block;heap=64"],
    args: ["--rpc-pool", "workers=1;heap=64"],
  }, async (host) => {
    // Both block in Atomics.wait, their heartbeats stopped, their threads using no CPU.
    assert.equal(await host.call("evrexec.run", ["block", "3000"]), "woke");
    await host.waitFor(/block: woke after 4000 ms/, 20_000);
    assert.equal(host.count(/out of memory|Deno did not end it/), 0, host.log);
    const [task] = await host.call("evrexec.list") as Task[];
    assert.equal(task.workers[0].last_error, null);
  }),
);

Deno.test("sandbox: allow-* in a thread without --unstable-worker-options: exit 2, one line", async () => {
  const host = await startHost(SANDBOX, {
    exec: ["name=probe;allow-read=/tmp"],
    unstableWorkerOptions: false,
    permissions: ["--allow-run"], // to read its own command line, which Deno does not tell
    ready: false,
  });
  try {
    const exit = await host.waitExit();
    assert.equal(exit.code, 2, exit.stderr);
    assert.equal(
      exit.stderr.trim(),
      'evrexec-deno: exec task "probe": allow-* keys in a thread need deno run ' +
        "--unstable-worker-options (the deno tasks pass it), or use isolation=process",
    );
  } finally {
    await host.cleanup();
  }
});

Deno.test(
  "sandbox: allow-* in a thread with --unstable-worker-options but no --allow-run: no warning",
  withHost(SANDBOX, { exec: ["name=probe;allow-read=/tmp"] }, async (host) => {
    const [task] = await host.call("evrexec.list") as Task[];
    assert.equal(task.permissions, "allow-read=/tmp");
    assert.doesNotMatch(host.log, /unstable-worker-options|WRN/, host.log);
  }),
);

Deno.test(
  "sandbox: a task cannot ask for a permission the host lacks; process mode needs --allow-run",
  async () => {
    const cases: [string[], RegExp][] = [
      [
        ["--exec", "name=probe;allow-run=curl"],
        /^evrexec-deno: exec task "probe": allow-run=curl asks for more than the host holds: .*--allow-run=curl or more\)$/,
      ],
      [
        ["--exec", "name=probe;isolation=process"],
        /^evrexec-deno: exec task "probe": isolation=process runs "deno run" and needs --allow-run for the deno binary/,
      ],
    ];
    for (const [args, line] of cases) {
      const host = await startHost(SANDBOX, { args, ready: false });
      try {
        const exit = await host.waitExit();
        assert.equal(exit.code, 2, exit.stderr);
        assert.equal(exit.stderr.trim().split("\n").length, 1, exit.stderr);
        assert.match(exit.stderr.trim(), line);
      } finally {
        await host.cleanup();
      }
    }
  },
);
