/**
 * What the soak samples of the host process: RSS, main-thread heap,
 * descriptors, threads and CPU time, from /proc and the host's stats file.
 *
 * @module
 */

import { cpuSeconds, rssKiB } from "../common/proc.ts";

/** One sample of the host, `t` seconds after the load started. */
export interface Sample {
  /** Seconds since the load started. */
  readonly t: number;
  /** Resident set size, MiB. */
  readonly rssMiB: number;
  /** The main thread's V8 heap in use, MiB (workers' heaps show in the RSS only). */
  readonly heapMiB: number;
  /** Open file descriptors. */
  readonly fds: number;
  /** OS threads (the main thread, one per worker, Deno's own). */
  readonly threads: number;
  /** CPU time used since the host started (all threads), seconds. */
  readonly cpuS: number;
  /** Calls answered so far. */
  readonly answered: number;
}

const MIB = 1024 * 1024;

function threads(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(status.match(/^Threads:\s+(\d+)/m)?.[1] ?? NaN);
}

function heapMiB(statsFile: string): number {
  try {
    return (JSON.parse(Deno.readTextFileSync(statsFile)) as { heapUsed: number }).heapUsed / MIB;
  } catch {
    return NaN;
  }
}

/** Samples process `pid`; its heap comes from `statsFile` (see bench/soak/host.ts). */
export function sampleHost(pid: number, statsFile: string, t: number, answered: number): Sample {
  return {
    t,
    rssMiB: rssKiB(pid) / 1024,
    heapMiB: heapMiB(statsFile),
    fds: [...Deno.readDirSync(`/proc/${pid}/fd`)].length,
    threads: threads(pid),
    cpuS: cpuSeconds(pid),
    answered,
  };
}

/** CPU use between two samples, in percent of one core. */
export function cpuPercent(from: Sample, to: Sample): number {
  return to.t > from.t ? 100 * (to.cpuS - from.cpuS) / (to.t - from.t) : NaN;
}
