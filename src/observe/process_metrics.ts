/**
 * The process's memory and file descriptors for Prometheus, read through
 * Deno's own APIs: prom-client reads them through `node:fs`, which Deno
 * allows on `/proc/self` only with `--allow-all`, so its values were 0.
 *
 * @module
 */

import type { Family } from "./prom_families.ts";

function readProc(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** A `kB` field of /proc/self/status, in bytes; undefined when absent. */
function statusBytes(status: string, field: string): number | undefined {
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)?.[1];
  return kb === undefined ? undefined : Number(kb) * 1024;
}

function single(value: number | undefined) {
  return value === undefined ? [] : [{ labels: {}, value }];
}

function openFds(): number | undefined {
  try {
    return [...Deno.readDirSync("/proc/self/fd")].length;
  } catch {
    return undefined;
  }
}

/** Process metrics under their usual names (those of prom-client's default collectors). */
export const PROCESS_FAMILIES: readonly Family[] = [
  {
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    type: "gauge",
    samples: () => single(Deno.memoryUsage().rss),
  },
  {
    name: "process_virtual_memory_bytes",
    help: "Virtual memory size in bytes.",
    type: "gauge",
    samples: () => single(statusBytes(readProc("/proc/self/status"), "VmSize")),
  },
  {
    name: "process_heap_bytes",
    help: "Process heap size (data segment) in bytes.",
    type: "gauge",
    samples: () => single(statusBytes(readProc("/proc/self/status"), "VmData")),
  },
  {
    name: "process_open_fds",
    help: "Number of open file descriptors.",
    type: "gauge",
    samples: () => single(openFds()),
  },
  {
    name: "process_max_fds",
    help: "Maximum number of open file descriptors.",
    type: "gauge",
    samples: () => {
      const limit = /^Max open files\s+(\d+)/m.exec(readProc("/proc/self/limits"))?.[1];
      return single(limit === undefined ? undefined : Number(limit));
    },
  },
];
