/**
 * Isolation: the three kinds of worker side by side, each against its own
 * floor. Heap-capped threads (the default, `node:worker_threads`) against
 * bare capped node workers; plain Web Workers (`--worker-heap 0`) against
 * bare Web Workers; process workers (`isolation=process`) against bare child
 * `deno run` processes. Start-up at each worker count, memory per worker
 * (RSS and PSS of the host and its children), and `evrexec.run` through a
 * pool of each kind (p50 at one connection, calls/s at four).
 *
 * @module
 */

import {
  allRunning,
  FLOOR_RUNNING,
  type FloorKind,
  HOST_READY,
  type Launched,
  launchFloorWorkers,
  launchHost,
} from "../common/launch.ts";
import { sleep, treeMemoryKiB } from "../common/proc.ts";
import { runLoad } from "../rpc/load.ts";
import { median, ratio, type Spread, spread } from "../common/stats.ts";

/** One kind of worker, as the host is told to use it, and its floor. */
export interface Variant {
  /** What the report calls it. */
  readonly name: string;
  /** Host options. */
  readonly args: readonly string[];
  /** More keys of the exec spec. */
  readonly spec: string;
  /** The `--rpc-pool` spec of the RPC figures. */
  readonly pool: string;
  /** Deno flags the host needs for it. */
  readonly denoFlags: readonly string[];
  /** The matching floor. */
  readonly floor: FloorKind;
}

/** The kinds measured. */
export const VARIANTS: readonly Variant[] = [
  {
    name: "threads, heap cap 256 MiB (default)",
    args: [],
    spec: "",
    pool: "workers=2",
    denoFlags: [],
    floor: "node",
  },
  {
    name: "threads, --worker-heap 0 (Web Workers)",
    args: ["--worker-heap", "0"],
    spec: "",
    pool: "workers=2",
    denoFlags: [],
    floor: "web",
  },
  {
    name: "processes (isolation=process)",
    args: [],
    spec: ";isolation=process",
    pool: "workers=2;isolation=process",
    denoFlags: ["--allow-run"],
    floor: "process",
  },
];

/** Start-up of one kind at one worker count. */
export interface IsolationStartup {
  readonly workers: number;
  readonly host: Spread;
  readonly floor: Spread;
  readonly ratio: number;
}

/** Memory of one kind: per worker, from the host (and children) at 0 and at `workers`. */
export interface IsolationMemory {
  readonly workers: number;
  readonly hostRssMiB: number;
  readonly hostPssMiB: number;
  readonly floorRssMiB: number;
  readonly floorPssMiB: number;
}

/** `evrexec.run` through a pool of one kind. */
export interface IsolationRpc {
  readonly p50Us1: number;
  readonly callsPerS4: number;
  readonly problems: number;
}

/** Every figure of one kind. */
export interface VariantResult {
  readonly name: string;
  readonly floor: FloorKind;
  readonly startup: IsolationStartup[];
  readonly memory: IsolationMemory;
  readonly rpc: IsolationRpc;
}

/** Settings of the isolation section. */
export interface IsolationOptions {
  readonly workers: readonly number[];
  readonly runs: readonly number[] | number;
  readonly memoryWorkers: number;
  readonly settleMs: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly timeoutMs: number;
}

const MIB = 1024;

function host(variant: Variant, workers: number, extra: readonly string[] = []) {
  return launchHost({
    workers,
    spec: variant.spec,
    args: [...variant.args, ...extra],
    denoFlags: variant.denoFlags,
  });
}

async function timed(launched: Launched, pattern: RegExp, timeoutMs: number): Promise<number> {
  try {
    return (await launched.child.waitLine(pattern, timeoutMs)).ms;
  } finally {
    await launched.stop();
  }
}

async function startup(variant: Variant, workers: number, runs: number, timeoutMs: number) {
  const line = allRunning("idle", workers);
  await timed(await host(variant, workers), line, timeoutMs); // warm-up
  const hosts: number[] = [];
  const floors: number[] = [];
  for (let run = 0; run < runs; run++) {
    const floorFirst = run % 2 === 1;
    if (floorFirst) {
      floors.push(
        await timed(launchFloorWorkers(workers, variant.floor), FLOOR_RUNNING, timeoutMs),
      );
    }
    hosts.push(await timed(await host(variant, workers), line, timeoutMs));
    if (!floorFirst) {
      floors.push(
        await timed(launchFloorWorkers(workers, variant.floor), FLOOR_RUNNING, timeoutMs),
      );
    }
  }
  const h = spread(hosts), f = spread(floors);
  return { workers, host: h, floor: f, ratio: ratio(h.median, f.median) };
}

/** RSS and PSS (MiB) of a started program and its children, once settled. */
async function settled(launched: Launched, pattern: RegExp, options: IsolationOptions) {
  try {
    await launched.child.waitLine(pattern, options.timeoutMs);
    await sleep(options.settleMs);
    const samples = [];
    for (let i = 0; i < 3; i++) {
      samples.push(treeMemoryKiB(launched.child.pid));
      await sleep(100);
    }
    return {
      rss: median(samples.map((s) => s.rss)) / MIB,
      pss: median(samples.map((s) => s.pss)) / MIB,
    };
  } finally {
    await launched.stop();
  }
}

async function memory(variant: Variant, options: IsolationOptions): Promise<IsolationMemory> {
  const n = options.memoryWorkers;
  const h0 = await settled(await host(variant, 0), HOST_READY, options);
  const hn = await settled(await host(variant, n), allRunning("idle", n), options);
  const f0 = await settled(launchFloorWorkers(0, variant.floor), FLOOR_RUNNING, options);
  const fn = await settled(launchFloorWorkers(n, variant.floor), FLOOR_RUNNING, options);
  return {
    workers: n,
    hostRssMiB: (hn.rss - h0.rss) / n,
    hostPssMiB: (hn.pss - h0.pss) / n,
    floorRssMiB: (fn.rss - f0.rss) / n,
    floorPssMiB: (fn.pss - f0.pss) / n,
  };
}

async function rpc(variant: Variant, options: IsolationOptions): Promise<IsolationRpc> {
  const launched = await host(variant, 0, ["--rpc-pool", variant.pool]);
  try {
    await launched.child.waitLine(HOST_READY, options.timeoutMs);
    await sleep(1500); // the rest of the pool starts a moment after "host ready"
    const load = (connections: number) =>
      runLoad({
        socket: launched.socket,
        connections,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        call: { run: "echo" },
      });
    const one = await load(1);
    const four = await load(4);
    return {
      p50Us1: one.p50Us,
      callsPerS4: four.callsPerS,
      problems: one.errors + one.lost + four.errors + four.lost,
    };
  } finally {
    await launched.stop();
  }
}

/** Measures every variant: start-up at each count, memory per worker, RPC through its pool. */
export async function measureIsolation(options: IsolationOptions): Promise<VariantResult[]> {
  const results: VariantResult[] = [];
  for (const variant of VARIANTS) {
    const list: IsolationStartup[] = [];
    for (const [i, workers] of options.workers.entries()) {
      const runs = typeof options.runs === "number" ? options.runs : options.runs[i];
      console.error(`bench: isolation: ${variant.name}, start-up with ${workers} workers...`);
      list.push(await startup(variant, workers, runs, options.timeoutMs));
    }
    console.error(`bench: isolation: ${variant.name}, memory and RPC...`);
    results.push({
      name: variant.name,
      floor: variant.floor,
      startup: list,
      memory: await memory(variant, options),
      rpc: await rpc(variant, options),
    });
  }
  return results;
}
