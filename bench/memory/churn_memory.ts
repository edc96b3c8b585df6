/**
 * Memory of the host across many worker replacements: RPC timeouts (each
 * replaces a pool worker; the default), `evrexec.reload` calls (each
 * replaces the pool and every exec worker) or `evrexec.restart` calls (each
 * replaces the workers of one exec task, two tasks in turn, the next once
 * they all run again).
 * Prints, every `--every` rounds: the host's RSS floor over that stretch,
 * its threads and open descriptors; with `--inspect` (the host then runs
 * with an open inspector instead of a parked one) also its main isolate's
 * `Deno.memoryUsage()` heap in use and external memory, read over the
 * DevTools protocol, and at the end the same after a forced GC; `--gc`
 * forces a GC before each sample. With `--snapshots`, the object counts by
 * constructor that grew between a heap snapshot after the warm-up and one at
 * the end; with `--retainers NAME`, the shortest strong path from the roots
 * to a few objects whose constructor is NAME.
 *
 *     deno run -A bench/memory/churn_memory.ts [--mode timeout|reload|restart] \
 *       [--rounds N] [--every N] [--inspect] [--gc] [--snapshots] [--retainers NAME] \
 *       [-- host args…]
 *
 * A round is 4 timeouts (`--rounds` counts timeouts then, default 2400), one
 * reload or one restart (default 1000). Host args default, for timeouts, to
 * `--rpc-workers 4 --rpc-timeout 100` on tests/fixtures/pool_faults.ts, as
 * the test "pool: many timeouts leave nothing pending; memory stays flat" of
 * tests/pool_faults_test.ts; for reloads and restarts, to two exec tasks of
 * two workers each (`ticker`, which watches KSR.shutdown, and `stubborn`,
 * which does not) and 2 pool workers on bench/soak/fixture.ts.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fixture, startHost } from "../../tests/helpers/host.ts";
import { openFds, rssMiB, threadCount } from "../../tests/helpers/proc.ts";
import { Cdp, retainingPaths } from "../../tests/helpers/inspector.ts";

const separator = Deno.args.indexOf("--");
const { values } = parseArgs({
  args: separator < 0 ? Deno.args : Deno.args.slice(0, separator),
  options: {
    mode: { type: "string", default: "timeout" },
    rounds: { type: "string" },
    every: { type: "string" },
    inspect: { type: "boolean", default: false },
    gc: { type: "boolean", default: false },
    snapshots: { type: "boolean", default: false },
    sampling: { type: "boolean", default: false },
    port: { type: "string", default: "9339" },
    retainers: { type: "string" },
  },
});
const mode = values.mode;
if (mode !== "timeout" && mode !== "reload" && mode !== "restart") {
  throw new Error(`--mode ${mode}: expected timeout, reload or restart`);
}
const defaultArgs = mode === "timeout" ? ["--rpc-workers", "4", "--rpc-timeout", "100"] : [
  ["--rpc-workers", "2", "--shutdown-timeout", "500"],
  ["--exec", "name=ticker;workers=2;restart=always"],
  ["--exec", "name=stubborn;workers=2;restart=on-failure"],
].flat();
const hostArgs = separator < 0 ? defaultArgs : Deno.args.slice(separator + 1);
const script = mode === "timeout"
  ? fixture("pool_faults.ts")
  : new URL("../soak/fixture.ts", import.meta.url).pathname;
const port = Number(values.port);

/** A node of a sampling heap profile. */
interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

const inspect = values.inspect || values.gc || values.snapshots || values.sampling ||
  values.retainers !== undefined;
const host = await startHost(script, {
  args: hostArgs,
  parked: !inspect,
  permissions: inspect ? [`--inspect=127.0.0.1:${port}`] : [],
});
try {
  const cdp = inspect ? await Cdp.connect(port) : null;
  /** The host's heap in use and external memory (MiB), after a GC with `--gc`. */
  const memory = async () => {
    if (cdp === null) return "-  -";
    if (values.gc) await cdp.send("HeapProfiler.collectGarbage");
    const { heapUsed, external } = await cdp.memoryUsage();
    return `${(heapUsed / 2 ** 20).toFixed(2)}  ${(external / 2 ** 20).toFixed(2)}`;
  };
  const client = await host.client();
  const tasks = ["ticker", "stubborn"];
  let turn = 0;
  const round = async () => {
    if (mode === "timeout") {
      await Promise.all(
        Array.from({ length: 4 }, () => client.call("evrexec.run", ["hang", "x"]).catch(() => {})),
      );
    } else if (mode === "reload") {
      await client.call("evrexec.reload");
    } else {
      // Paced: the next restart once this task's workers all run again (restarts that overlap
      // would measure how many workers are alive at once, not what a restart leaves).
      const task = tasks[turn++ % tasks.length];
      await client.call("evrexec.restart", [task]);
      for (let waited = 0; waited < 10_000; waited += 20) {
        const rows = await client.call("core.psx") as { task?: string; state: string }[];
        if (rows.every((row) => row.task !== task || row.state === "running")) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    return rssMiB(host.pid);
  };
  for (let i = 0; i < 5; i++) await round();
  const before = values.snapshots ? await cdp!.snapshot() : null;
  /** Replacements per round, as the counts are printed. */
  const per = mode === "timeout" ? 4 : 1;
  const total = Number(values.rounds ?? (mode === "timeout" ? 2400 : 1000));
  const every = Number(values.every ?? total / 5) / per;
  const rounds = total / per;
  let floor = Infinity;
  const counts = () => `${threadCount(host.pid)}  ${openFds(host.pid)}`;
  console.log(
    `${mode}s  rss-floor-MiB  heap-used-MiB  external-MiB  threads  fds` +
      `  (host: ${hostArgs.join(" ")}${values.gc ? "; GC before each sample" : ""})`,
  );
  console.log(`0  ${rssMiB(host.pid).toFixed(1)}  ${await memory()}  ${counts()}`);
  const started = performance.now();
  if (values.sampling) {
    await cdp!.send("HeapProfiler.startSampling", {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  for (let i = 1; i <= rounds; i++) {
    floor = Math.min(floor, await round());
    if (i % every === 0) {
      console.log(`${i * per}  ${floor.toFixed(1)}  ${await memory()}  ${counts()}`);
      floor = Infinity;
    }
  }
  console.log(`${rounds * per} ${mode}s in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (cdp !== null) {
    await cdp.send("HeapProfiler.collectGarbage");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const { heapUsed, external } = await cdp.memoryUsage();
    console.log(
      `after a forced GC: RSS ${rssMiB(host.pid).toFixed(1)} MiB, heap used ${
        (heapUsed / 2 ** 20).toFixed(2)
      } MiB, external ${(external / 2 ** 20).toFixed(2)} MiB`,
    );
  }
  if (values.sampling) {
    const answer = await cdp!.send("HeapProfiler.stopSampling");
    const profile = (answer.result as { profile: { head: SamplingNode } }).profile;
    console.log(`bytes allocated per ${mode}, by allocating function (self; top 30):`);
    const bySite = new Map<string, number>();
    const walk = (node: SamplingNode) => {
      const { functionName, url, lineNumber } = node.callFrame;
      const site = `${functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}:${
        lineNumber + 1
      }`;
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
      node.children.forEach(walk);
    };
    walk(profile.head);
    const allocated = [...bySite.values()].reduce((a, b) => a + b, 0);
    console.log(`total ${(allocated / rounds / per).toFixed(0)}`);
    for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
      console.log(`${(bytes / rounds / per).toFixed(0)}\t${site}`);
    }
  }
  if (before !== null) {
    const after = await cdp!.snapshot();
    const grown = [...after].map(([key, { count, size }]) => {
      const was = before.get(key) ?? { count: 0, size: 0 };
      return { key, count: count - was.count, size: size - was.size };
    }).filter((row) => row.count > 0).sort((a, b) => b.count - a.count).slice(0, 40);
    console.log("grown between snapshots (count, self bytes, type:name):");
    for (const row of grown) console.log(`${row.count}\t${row.size}\t${row.key}`);
  }
  if (values.retainers !== undefined) {
    const paths = retainingPaths(await cdp!.rawSnapshot(), values.retainers);
    for (const path of paths) console.log(`retained:\n    ${path}`);
  }
  cdp?.close();
} finally {
  await host.cleanup();
}
