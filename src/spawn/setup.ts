/**
 * Everything a host needs to start workers, made once per host: the table of
 * states (fed to the statistics), the registry of live and stuck workers, and
 * the pacer that creates them one event-loop turn apart.
 *
 * @module
 */

import type { HostStats } from "../observe/stats.ts";
import type { HostConfig } from "../config/host_config.ts";
import { log } from "../base/log.ts";
import type { SpawnContext } from "./spawn_context.ts";
import { ChildNeeds } from "./child_needs.ts";
import { startWorker } from "./start_worker.ts";
import { DEFAULT_WORKER_HEAP_MIB, NO_SANDBOX } from "../config/sandbox.ts";
import { WorkerPacer } from "./pacer.ts";
import { defaultMaxStuck, type StuckWorker, WorkerRegistry } from "./registry.ts";
import { checkSandboxes, sandboxesOf } from "./sandbox_check.ts";
import { proveSandboxes } from "./sandbox_probe.ts";
import { WorkerStates } from "./worker_states.ts";

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
  const children = new ChildNeeds();
  const workerHeapMiB = config.workerHeapMiB ?? DEFAULT_WORKER_HEAP_MIB;
  return {
    scriptUrl: config.scriptUrl,
    logLevel: config.logLevel,
    states: new WorkerStates(stats.counting ? stats.workerState : undefined),
    workers,
    pacer: new WorkerPacer({
      factory: (init, events, options) =>
        startWorker(
          init,
          events,
          workers,
          options ?? { sandbox: { ...NO_SANDBOX, heapMiB: workerHeapMiB } },
          children,
        ),
    }),
    workerHeapMiB,
    children,
  };
}

/**
 * Checks and proves the host's sandboxes (see `sandbox_probe.ts`) and reads
 * what process workers need, before any worker starts. Throws a
 * {@link ConfigError} naming what does not hold. The proof of heap caps may
 * still run after: await `heapProven` before tasks start.
 */
export async function prepareSandboxes(
  config: HostConfig,
  context: SpawnContext,
): Promise<{ readonly heapProven: Promise<void> }> {
  const sandboxes = sandboxesOf(config);
  checkSandboxes(sandboxes);
  const [proof] = await Promise.all([proveSandboxes(sandboxes), refreshChildren(config, context)]);
  context.workers.threadEndsObservable = proof.threadEndsObservable;
  if (!proof.threadEndsObservable) {
    log().warn(
      "a terminated thread's end cannot be seen in this Deno: workers stuck in synchronous " +
        "code are terminated but not counted against --max-stuck",
    );
  }
  return { heapProven: proof.heapProven };
}

/** Reads again what process workers need (the script's modules), if the host has any. */
export async function refreshChildren(config: HostConfig, context: SpawnContext): Promise<void> {
  if (sandboxesOf(config).some(({ sandbox }) => sandbox.isolation === "process")) {
    await context.children?.prepare(config.scriptUrl);
  }
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
