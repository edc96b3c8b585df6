/**
 * Memory: RSS of the host with 0, 8 and 64 idle exec workers (plain Web
 * Workers, `--worker-heap 0`), and of the floor (floors/workers.ts) with as
 * many workers, read once every worker runs and the process has settled;
 * the cost per worker from the two ends.
 * The floor's workers run an empty module; for scale, a second floor runs
 * a 100 ms timer loop in each worker (what an idle loop itself costs).
 *
 * @module
 */

import {
  allRunning,
  FLOOR_RUNNING,
  HOST_READY,
  type Launched,
  launchFloorWorkers,
  launchHost,
} from "../common/launch.ts";
import { rssKiB, sleep } from "../common/proc.ts";
import { median, ratio } from "../common/stats.ts";
import { PLAIN } from "./startup.ts";

/** RSS of host and floor at one worker count. */
export interface MemoryPoint {
  /** Exec workers (host) or workers (floor). */
  readonly workers: number;
  /** Host RSS, MiB (median over runs). */
  readonly hostMiB: number;
  /** Floor RSS, MiB (median over runs). */
  readonly floorMiB: number;
  /** Floor RSS with workers in a 100 ms timer loop, MiB (median over runs). */
  readonly floorLoopMiB: number;
}

/** The memory figures. */
export interface MemoryResult {
  /** RSS at each worker count, lowest first. */
  readonly points: readonly MemoryPoint[];
  /** Host: (RSS at most workers - RSS at 0) / most workers, MiB. */
  readonly hostPerWorkerMiB: number;
  /** Floor: the same, MiB. */
  readonly floorPerWorkerMiB: number;
  /** hostPerWorkerMiB / floorPerWorkerMiB. */
  readonly ratio: number;
  /** Timer-loop floor: the same, MiB. */
  readonly floorLoopPerWorkerMiB: number;
  /** hostPerWorkerMiB / floorLoopPerWorkerMiB. */
  readonly loopRatio: number;
  /** The host's RPC pool size during the measurement (its default). */
  readonly rpcWorkers: number;
}

/** Settings of the memory measurement. */
export interface MemoryOptions {
  /** Worker counts; must hold 0 and end with the largest. */
  readonly workers: readonly number[];
  /** Runs per count and program; the median is kept. */
  readonly runs: number;
  /** Wait after the line before sampling, ms. */
  readonly settleMs: number;
  /** Longest wait for the line, ms. */
  readonly timeoutMs: number;
}

/** The host's RPC pool size when --rpc-workers is not given. */
export const DEFAULT_RPC_WORKERS = 2;

async function settledRss(launched: Launched, pattern: RegExp, options: MemoryOptions) {
  try {
    await launched.child.waitLine(pattern, options.timeoutMs);
    await sleep(options.settleMs);
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      samples.push(rssKiB(launched.child.pid));
      await sleep(50);
    }
    return median(samples) / 1024;
  } finally {
    await launched.stop();
  }
}

/** Measures RSS at each worker count, host and floor interleaved. */
export async function measureMemory(options: MemoryOptions): Promise<MemoryResult> {
  const points: MemoryPoint[] = [];
  for (const workers of options.workers) {
    const host: number[] = [];
    const floor: number[] = [];
    const floorLoop: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      const hostLine = workers === 0 ? HOST_READY : allRunning("idle", workers);
      host.push(await settledRss(await launchHost({ workers, args: PLAIN }), hostLine, options));
      floor.push(await settledRss(launchFloorWorkers(workers), FLOOR_RUNNING, options));
      if (workers > 0) {
        floorLoop.push(await settledRss(launchFloorWorkers(workers, true), FLOOR_RUNNING, options));
      }
    }
    points.push({
      workers,
      hostMiB: median(host),
      floorMiB: median(floor),
      floorLoopMiB: workers > 0 ? median(floorLoop) : median(floor),
    });
  }
  const first = points[0];
  const last = points[points.length - 1];
  const hostPerWorkerMiB = (last.hostMiB - first.hostMiB) / last.workers;
  const floorPerWorkerMiB = (last.floorMiB - first.floorMiB) / last.workers;
  const floorLoopPerWorkerMiB = (last.floorLoopMiB - first.floorLoopMiB) / last.workers;
  return {
    points,
    hostPerWorkerMiB,
    floorPerWorkerMiB,
    ratio: ratio(hostPerWorkerMiB, floorPerWorkerMiB),
    floorLoopPerWorkerMiB,
    loopRatio: ratio(hostPerWorkerMiB, floorLoopPerWorkerMiB),
    rpcWorkers: DEFAULT_RPC_WORKERS,
  };
}
