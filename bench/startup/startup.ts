/**
 * Start-up: wall time from spawning a process to the line saying every
 * worker of a task has entered its function, for the host (with plain Web
 * Workers, `--worker-heap 0`) and for the floor (floors/workers.ts), runs
 * interleaved.
 *
 * @module
 */

import {
  allRunning,
  FLOOR_RUNNING,
  type Launched,
  launchFloorWorkers,
  launchHost,
} from "../common/launch.ts";
import { ratio, type Spread, spread } from "../common/stats.ts";

/** The host's option for plain Web Workers, the kind the floor starts. */
export const PLAIN = ["--worker-heap", "0"];

/** Start-up figures for one worker count. */
export interface StartupResult {
  /** Workers of the task (host) or started (floor). */
  readonly workers: number;
  /** Spawn to "all N workers running" of the host, ms. */
  readonly host: Spread;
  /** What the host itself logged ("after X ms", from starting the task's workers), ms. */
  readonly hostLogged: Spread;
  /** Spawn to the floor's line, ms. */
  readonly floor: Spread;
  /** host.median / floor.median. */
  readonly ratio: number;
}

/** Settings of the start-up measurement. */
export interface StartupOptions {
  /** Worker counts to measure. */
  readonly workers: readonly number[];
  /** Measured runs per count and program (after one warm-up run each). */
  readonly runs: number;
  /** Longest wait for the line, ms. */
  readonly timeoutMs: number;
}

async function timed(
  launched: Launched,
  pattern: RegExp,
  timeoutMs: number,
): Promise<{ ms: number; logged: number }> {
  try {
    const seen = await launched.child.waitLine(pattern, timeoutMs);
    return { ms: seen.ms, logged: Number(seen.match[1]) };
  } finally {
    await launched.stop();
  }
}

async function hostRun(workers: number, timeoutMs: number) {
  // Web Workers, the floor's kind; capped threads and processes: isolation.ts.
  return await timed(
    await launchHost({ workers, args: PLAIN }),
    allRunning("idle", workers),
    timeoutMs,
  );
}

async function floorRun(workers: number, timeoutMs: number) {
  return await timed(launchFloorWorkers(workers), FLOOR_RUNNING, timeoutMs);
}

/** Measures start-up for each worker count; host and floor runs alternate, order swapped each run. */
export async function measureStartup(options: StartupOptions): Promise<StartupResult[]> {
  const results: StartupResult[] = [];
  for (const workers of options.workers) {
    await hostRun(workers, options.timeoutMs); // warm-up: module caches, page cache
    await floorRun(workers, options.timeoutMs);
    const host: number[] = [];
    const logged: number[] = [];
    const floor: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      const order = run % 2 === 0 ? ["host", "floor"] : ["floor", "host"];
      for (const which of order) {
        if (which === "host") {
          const { ms, logged: hostMs } = await hostRun(workers, options.timeoutMs);
          host.push(ms);
          logged.push(hostMs);
        } else {
          floor.push((await floorRun(workers, options.timeoutMs)).ms);
        }
      }
    }
    const hostSpread = spread(host);
    const floorSpread = spread(floor);
    results.push({
      workers,
      host: hostSpread,
      hostLogged: spread(logged),
      floor: floorSpread,
      ratio: ratio(hostSpread.median, floorSpread.median),
    });
  }
  return results;
}
