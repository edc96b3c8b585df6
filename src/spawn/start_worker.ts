/**
 * The worker kinds behind one {@link WorkerHandle}, and which one a sandbox
 * gets: a child process for `isolation=process`; an invocation in its
 * group's thread for `isolation=shared`; else a `node:worker_threads`
 * worker when its heap is capped; else a plain Web Worker (the cheapest, and
 * the only thread that takes permissions of its own).
 *
 * @module
 */

import type { InitMessage } from "../shared/messages.ts";
import type { Sandbox } from "../config/sandbox.ts";
import type { ChildNeeds } from "./child_needs.ts";
import type { WorkerEvents, WorkerHandle, WorkerOptions } from "./handle.ts";
import { NodeWorkerHandle } from "./node_thread.ts";
import { ProcessWorkerHandle } from "./process.ts";
import type { WorkerRegistry } from "./registry.ts";
import { ensureDescriptors } from "./descriptor_room.ts";
import type { SharedGroups } from "./shared_group.ts";
import { WebWorkerHandle, WORKER_URL } from "./web_thread.ts";

/** The kind of worker a sandbox gets, as `evrexec.list` names it. */
export type WorkerKind = "web-worker" | "node-worker" | "process" | "shared";

/** The kind of worker `sandbox` gets. */
export function kindOf(sandbox: Sandbox): WorkerKind {
  if (sandbox.isolation === "process") return "process";
  if (sandbox.isolation === "shared") return "shared";
  return sandbox.heapMiB > 0 ? "node-worker" : "web-worker";
}

/**
 * Starts a worker of the kind its sandbox asks for and sends it `init`.
 * Blocks for a thread's start-up; throws when it cannot start one, and
 * before trying when the host is out of file descriptors (where Deno would
 * end the whole process: `descriptor_room.ts`).
 */
export function startWorker(
  init: InitMessage,
  events: WorkerEvents,
  registry: WorkerRegistry,
  options: WorkerOptions,
  children?: ChildNeeds,
  groups?: SharedGroups,
): WorkerHandle {
  const kind = kindOf(options.sandbox);
  if (kind !== "shared") ensureDescriptors(WORKER_URL); // a group checks when it starts its thread
  switch (kind) {
    case "process":
      if (children === undefined) throw new Error("process workers need the host's child setup");
      return new ProcessWorkerHandle(
        init,
        events,
        registry,
        options,
        children.launch(options.sandbox),
      );
    case "shared":
      if (groups === undefined) throw new Error("shared workers need the host's groups");
      return groups.invoke(init, events, options);
    case "node-worker":
      return new NodeWorkerHandle(init, events, registry, options);
    case "web-worker":
      return new WebWorkerHandle(init, events, registry, options);
  }
}
