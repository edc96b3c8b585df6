/**
 * What /proc tells about a host process: resident memory, open file
 * descriptors, CPU time, threads.
 *
 * @module
 */

/** Resident set size of process `pid`, in MiB. */
export function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kib / 1024;
}

/** How many file descriptors process `pid` has open. */
export function openFds(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

/**
 * The descriptors of process `pid` once their count has held for 400 ms (at
 * most 10 s): a host just ready may still be starting its other pool workers.
 */
export async function settledFds(pid: number): Promise<number> {
  let last = openFds(pid);
  for (let held = 0, tries = 0; held < 2 && tries < 50; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = openFds(pid);
    held = now === last ? held + 1 : 0;
    last = now;
  }
  return last;
}

/** User plus system CPU time of process `pid`, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
}

/** True when the heavy variants run (`deno task torture`). */
export const TORTURE = Deno.env.get("TORTURE") === "1";

/** How many threads process `pid` has (`Threads:` of /proc/PID/status). */
export function threadCount(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

/** How many of process `pid`'s threads are Deno workers (threads named `worker-N`). */
export function workerThreadCount(pid: number): number {
  let count = 0;
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      if (Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/comm`).startsWith("worker-")) {
        count++;
      }
    } catch {
      // the thread ended meanwhile
    }
  }
  return count;
}

/**
 * True while process `pid` runs: it exists and is not a zombie (an exited
 * child whose parent is gone waits for PID 1 to reap it, which can take a
 * second in a container).
 */
export function processRunning(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
