/**
 * The OS thread a `node:worker_threads` worker runs on, found and read
 * through Linux's `/proc/self/task`: which thread a new worker started, and
 * whether that thread waits now in its event loop (the `epoll_wait` of its
 * tokio runtime). A worker whose thread waits in its event loop yet answers
 * no message cannot run JavaScript any more (its isolate was terminated);
 * one blocked in synchronous code waits in another call (`futex` for
 * `Atomics.wait`, `read` for a pipe) or runs. Where `/proc` cannot be read
 * (another OS, or no read permission for it) nothing is known: every
 * function answers null.
 *
 * @module
 */

const TASKS = "/proc/self/task";
/** Deno names a worker's thread `worker-<n>`. */
const WORKER_THREAD = /^worker-\d+$/;
/** The system calls a tokio runtime parks in, by architecture (`epoll_wait`, `epoll_pwait`, `epoll_pwait2`). */
const EPOLL_WAITS: Record<string, readonly number[]> = {
  x86_64: [232, 281, 441],
  aarch64: [22, 441],
};

let readable: boolean | null = null;

/** True when `/proc/self/task` may be read here (asked once, never prompting). */
function procReadable(): boolean {
  if (readable === null) {
    try {
      readable = Deno.build.os === "linux" &&
        Deno.permissions.querySync({ name: "read", path: TASKS }).state === "granted" &&
        Deno.statSync(TASKS).isDirectory;
    } catch {
      readable = false;
    }
  }
  return readable;
}

/** The ids of this process's threads now; null when they cannot be read. */
export function threadIds(): Set<string> | null {
  if (!procReadable()) return null;
  try {
    return new Set([...Deno.readDirSync(TASKS)].map((entry) => entry.name));
  } catch {
    return null;
  }
}

/**
 * The worker thread that started since `before` was taken: the one new
 * thread named like a worker's; null when there is not exactly one.
 */
export function newWorkerThread(before: Set<string> | null): string | null {
  const now = before === null ? null : threadIds();
  if (now === null || before === null) return null;
  const fresh = [...now].filter((id) => {
    if (before.has(id)) return false;
    try {
      return WORKER_THREAD.test(Deno.readTextFileSync(`${TASKS}/${id}/comm`).trim());
    } catch {
      return false;
    }
  });
  return fresh.length === 1 ? fresh[0] : null;
}

/**
 * Whether thread `id` waits in its event loop now: true, false (it runs, or
 * waits in another call), or null when that cannot be told (the thread has
 * gone, or this OS or architecture is not known here).
 */
export function waitsInEventLoop(id: string): boolean | null {
  const waits = EPOLL_WAITS[Deno.build.arch];
  if (waits === undefined) return null;
  try {
    // "running" while on a CPU, else the call's number and its arguments.
    const call = Deno.readTextFileSync(`${TASKS}/${id}/syscall`).trim().split(" ")[0];
    if (call === "running") return false;
    const number = Number(call);
    return Number.isInteger(number) ? waits.includes(number) : null;
  } catch {
    return null;
  }
}
