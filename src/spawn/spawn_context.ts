/**
 * What every owner of workers (a task supervisor, the RPC pool) needs to
 * start one, made once per host: the script, the lowest log level, the
 * worker states, the host's registry of workers, and the pacer that creates
 * workers one event-loop turn apart; and its preparation before any worker
 * starts (the sandboxes checked and proven, what process workers need read)
 * and before each reload (what process workers need read again).
 *
 * @module
 */

import type { WorkerLogLevel } from "../shared/messages.ts";
import type { HostConfig } from "../config/host_config.ts";
import { NO_SANDBOX } from "../config/sandbox.ts";
import { log } from "../base/log.ts";
import { otelState } from "../base/otel_env.ts";
import { ChildNeeds } from "./child_needs.ts";
import { WorkerPacer } from "./pacer.ts";
import { type StuckWorker, WorkerRegistry } from "./registry.ts";
import { checkSandboxes, sandboxesOf } from "./sandbox_check.ts";
import { proveSandboxes } from "./sandbox_probe.ts";
import { SharedGroups } from "./shared_group.ts";
import { startWorker } from "./start_worker.ts";
import { type StateObserver, WorkerStates } from "./worker_states.ts";

/** Shared by every owner of workers. */
export interface SpawnContext {
  /** URL of the KEMI script. */
  readonly scriptUrl: string;
  /** True when runs make OpenTelemetry spans (the host runs with `OTEL_DENO=true`). */
  readonly otel?: boolean;
  /** Lowest level workers send. */
  readonly logLevel: WorkerLogLevel;
  /** Where worker states are kept. */
  readonly states: WorkerStates;
  /** This host's live and stuck workers (each host has its own). */
  readonly workers: WorkerRegistry;
  /** Creates workers one at a time, shared by every owner. */
  readonly pacer: WorkerPacer;
  /** Heap cap of a worker without `heap=`, in MiB (`--worker-heap`). */
  readonly workerHeapMiB: number;
  /** What process workers need from the host (`isolation=process`). */
  readonly children?: ChildNeeds;
}

/**
 * A new spawn context for `config`. `observer` is told of every state
 * change (the statistics' hook); `tooManyStuck` is called once more workers
 * are stuck in synchronous code than `--max-stuck` allows.
 */
export function newSpawnContext(
  config: HostConfig,
  observer: StateObserver | undefined,
  tooManyStuck: (stuck: readonly StuckWorker[]) => void,
  onStuck?: (worker: StuckWorker) => void,
): SpawnContext {
  const workers = new WorkerRegistry({
    maxStuck: config.maxStuck,
    tooManyStuck,
    onStuck,
  });
  const children = new ChildNeeds();
  const groups = new SharedGroups(workers);
  const workerHeapMiB = config.workerHeapMiB;
  return {
    scriptUrl: config.scriptUrl,
    otel: otelState() === "on",
    logLevel: config.logLevel,
    states: new WorkerStates(observer),
    workers,
    pacer: new WorkerPacer({
      factory: (init, events, options) =>
        startWorker(
          init,
          events,
          workers,
          options ?? { sandbox: { ...NO_SANDBOX, heapMiB: workerHeapMiB } },
          children,
          groups,
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
