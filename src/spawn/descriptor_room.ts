/**
 * Room for one more worker among the host's file descriptors. Starting a
 * thread when fewer than about 6 descriptors are free makes Deno 2.9.6 panic
 * (`runtime/tokio_util.rs`, `ext/io/lib.rs`: the whole host ends;
 * `repro/worker_emfile_panic.ts`), so before a worker starts, the host opens
 * a file it must read anyway (the worker's own module) {@link
 * DESCRIPTORS_PER_WORKER} times and closes it again: when that fails for want
 * of descriptors (or memory), the start fails alone, with one clear line, and
 * the task's restart policy tries again later. Deno forbids reading
 * `/proc/self/fd` without `--allow-all`, hence the trial.
 *
 * @module
 */

import { messageOf } from "../shared/error_text.ts";

/**
 * Descriptors a worker's start must find free. A Web Worker takes 6, a
 * `node:worker_threads` one 4, a child process 5 (Deno 2.9.6); the rest is margin for the
 * modules a new worker opens while it loads.
 */
export const DESCRIPTORS_PER_WORKER = 8;

/** Out of file descriptors (EMFILE, ENFILE) or of memory (ENOMEM), as Deno words it. */
const EXHAUSTED = /\bos error (12|23|24)\b|\bE(MFILE|NFILE|NOMEM)\b/;

/** True when `error` says the process or the system ran out of descriptors or memory. */
export function isExhaustion(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "EMFILE" || code === "ENFILE" || code === "ENOMEM") return true;
  return EXHAUSTED.test(messageOf(error));
}

/** A start refused because the host is out of descriptors or memory. */
export class ResourceExhausted extends Error {
  /** An error whose message says what ran out. */
  constructor(message: string) {
    super(message);
    this.name = "ResourceExhausted";
  }
}

/**
 * Throws {@link ResourceExhausted} when `count` descriptors cannot be opened
 * now. `path` is a file the host may read; when it cannot be opened for any
 * other reason (no permission, a remote module), there is nothing to try
 * and this returns.
 */
export function ensureDescriptors(path: string | URL, count = DESCRIPTORS_PER_WORKER): void {
  if (path instanceof URL && path.protocol !== "file:") return;
  const opened: Deno.FsFile[] = [];
  try {
    for (let i = 0; i < count; i++) opened.push(Deno.openSync(path));
  } catch (error) {
    if (isExhaustion(error)) {
      throw new ResourceExhausted(
        `only ${opened.length} of the ${count} file descriptors a worker's start needs are ` +
          `free: ${messageOf(error)}`,
      );
    }
  } finally {
    for (const file of opened) file.close();
  }
}
