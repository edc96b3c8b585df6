/**
 * Memory of the host across many worker replacements: RPC timeouts (each
 * replaces a pool worker; the default), `evrexec.reload` calls (each
 * replaces the pool and every exec worker) or `evrexec.restart` calls (each
 * replaces the workers of one exec task, two tasks in turn).
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

/** A V8 heap snapshot as JSON. */
interface HeapSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[]];
      edge_fields: string[];
      edge_types: [string[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** The shortest strong path from the roots to a few of the objects named `name`. */
function retainingPaths(snap: HeapSnapshot, name: string, samples = 3): string[] {
  const meta = snap.snapshot.meta;
  const nw = meta.node_fields.length, ew = meta.edge_fields.length;
  const [nType, nName, nEdges] = ["type", "name", "edge_count"].map((f) =>
    meta.node_fields.indexOf(f)
  );
  const [eType, eName, eTo] = ["type", "name_or_index", "to_node"].map((f) =>
    meta.edge_fields.indexOf(f)
  );
  const edgeTypes = meta.edge_types[0];
  const nodeTypes = meta.node_types[0];
  const count = snap.nodes.length / nw;
  const firstEdge = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) {
    firstEdge[i + 1] = firstEdge[i] + snap.nodes[i * nw + nEdges] * ew;
  }
  const parent = new Int32Array(count).fill(-1);
  const via = new Int32Array(count).fill(-1);
  parent[0] = 0;
  const queue = [0];
  for (let q = 0; q < queue.length; q++) {
    const from = queue[q];
    for (let e = firstEdge[from]; e < firstEdge[from + 1]; e += ew) {
      if (edgeTypes[snap.edges[e + eType]] === "weak") continue;
      const to = snap.edges[e + eTo] / nw;
      if (parent[to] !== -1) continue;
      parent[to] = from;
      via[to] = e;
      queue.push(to);
    }
  }
  const label = (i: number) =>
    `${nodeTypes[snap.nodes[i * nw + nType]]}:${
      String(snap.strings[snap.nodes[i * nw + nName]]).slice(0, 50)
    }`;
  const edgeLabel = (e: number) => {
    const type = edgeTypes[snap.edges[e + eType]];
    const n = snap.edges[e + eName];
    return type === "element" || type === "hidden" ? `[${n}]` : `.${snap.strings[n]}`;
  };
  const found: number[] = [];
  for (let i = count - 1; i >= 0 && found.length < samples; i--) {
    if (snap.strings[snap.nodes[i * nw + nName]] === name && parent[i] !== -1) found.push(i);
  }
  return found.map((i) => {
    const steps: string[] = [];
    for (let at = i; at !== 0 && steps.length < 40; at = parent[at]) {
      steps.push(`${label(at)} <-${edgeLabel(via[at])}-`);
    }
    return steps.join("\n    ");
  });
}

/** A minimal DevTools protocol client over the inspector's WebSocket. */
class Cdp {
  #ws: WebSocket;
  #next = 1;
  #waiting = new Map<number, (message: Record<string, unknown>) => void>();
  #chunks: string[] = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data as string);
      if (message.method === "HeapProfiler.addHeapSnapshotChunk") {
        this.#chunks.push(message.params.chunk);
      } else if (typeof message.id === "number") {
        this.#waiting.get(message.id)?.(message);
        this.#waiting.delete(message.id);
      }
    };
  }

  static async connect(port: number): Promise<Cdp> {
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return new Cdp(ws);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.#next++;
    this.#ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve) => this.#waiting.set(id, resolve));
  }

  /** `Deno.memoryUsage()` of the inspected isolate. */
  async memoryUsage(): Promise<Deno.MemoryUsage> {
    const answer = await this.send("Runtime.evaluate", {
      expression: "Deno.memoryUsage()",
      returnByValue: true,
    });
    return (answer.result as { result: { value: Deno.MemoryUsage } }).result.value;
  }

  /** A new heap snapshot, parsed. */
  async rawSnapshot(): Promise<HeapSnapshot> {
    this.#chunks = [];
    await this.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    const snap = JSON.parse(this.#chunks.join(""));
    this.#chunks = [];
    return snap;
  }

  /** Object counts and self sizes by "type:name" in a new heap snapshot. */
  async snapshot(): Promise<Map<string, { count: number; size: number }>> {
    const snap = await this.rawSnapshot();
    const fields: string[] = snap.snapshot.meta.node_fields;
    const types: string[] = snap.snapshot.meta.node_types[0];
    const width = fields.length;
    const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
    const counts = new Map<string, { count: number; size: number }>();
    const nodes: number[] = snap.nodes;
    for (let i = 0; i < nodes.length; i += width) {
      const key = `${types[nodes[i + typeAt]]}:${
        String(snap.strings[nodes[i + nameAt]]).slice(0, 60)
      }`;
      const entry = counts.get(key) ?? { count: 0, size: 0 };
      entry.count++;
      entry.size += nodes[i + sizeAt];
      counts.set(key, entry);
    }
    return counts;
  }

  close(): void {
    this.#ws.close();
  }
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
      await client.call("evrexec.restart", [tasks[turn++ % tasks.length]]);
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
