/**
 * Everything a host needs to start workers, made once per host: the table of
 * states (fed to the statistics), the registry of live and stuck workers, and
 * the pacer that creates them one event-loop turn apart.
 *
 * @module
 */

import type { HostStats } from "../observe/stats.ts";
import type { HostConfig } from "./config.ts";
import { log } from "./log.ts";
import type { SpawnContext } from "./spawn_context.ts";
import { WorkerHandle } from "./worker_handle.ts";
import { WorkerPacer } from "./worker_pacer.ts";
import { defaultMaxStuck, type StuckWorker, WorkerRegistry } from "./worker_registry.ts";
import { WorkerTable } from "./worker_table.ts";

/**
 * A new spawn context for `config`. `tooManyStuck` is called once more
 * workers are stuck in synchronous code than `--max-stuck` allows.
 */
export function newSpawnContext(
  config: HostConfig,
  stats: HostStats,
  tooManyStuck: (stuck: readonly StuckWorker[]) => void,
): SpawnContext {
  const workers = new WorkerRegistry({
    maxStuck: config.maxStuck ?? defaultMaxStuck(),
    tooManyStuck,
  });
  return {
    scriptUrl: config.scriptUrl,
    logLevel: config.logLevel,
    table: new WorkerTable(stats.counting ? stats.workerState : undefined),
    workers,
    pacer: new WorkerPacer({ factory: (init, events) => new WorkerHandle(init, events, workers) }),
  };
}

/** Logs why the host exits: more workers stuck than `--max-stuck` (`max`). */
export function logTooManyStuck(stuck: readonly StuckWorker[], max: number): void {
  log().fatal(
    "{count} workers are stuck in synchronous code ({workers}), past --max-stuck {max}: each " +
      "may keep a CPU core busy and Deno cannot stop them; exiting so that the service " +
      "manager restarts the host",
    { count: stuck.length, workers: stuck.map((worker) => worker.label).join(", "), max },
  );
}
