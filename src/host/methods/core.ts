/**
 * `core.*` methods: version, uptime and the worker list.
 *
 * @module
 */

import type { HostAccess } from "../host_access.ts";
import type { MethodMap } from "../../rpc/dispatch.ts";
import type { WorkerSlot } from "../../spawn/worker_states.ts";
import { versionLine } from "../../base/version.ts";
import { describeSlot, sandboxInfo, workerInfo } from "./task_info.ts";

/** How the worker of `slot` is isolated, if its owner is still in service. */
function sandboxOf(host: HostAccess, slot: WorkerSlot) {
  const owner = slot.role === "rpc" ? host.pool : host.supervisor(slot.task);
  return owner === undefined ? {} : sandboxInfo(owner.sandbox);
}

/** Adds `core.version`, `core.uptime`, `core.ps` and `core.psx` to `methods`. */
export function addCoreMethods(methods: MethodMap, host: HostAccess): void {
  methods.set("core.version", {
    params: [],
    help: "The host's name and version, and the Deno it runs on.",
    call: () => versionLine(),
  });
  methods.set("core.uptime", {
    params: [],
    help: "When the host started and for how many seconds it has run.",
    call() {
      const now = Date.now();
      return {
        now: new Date(now).toISOString(),
        up_since: new Date(host.startedAt).toISOString(),
        uptime: Math.floor((now - host.startedAt) / 1000),
      };
    },
  });
  methods.set("core.ps", {
    params: [],
    help: "PID and description of every worker, one after the other, as Kamailio's " +
      "(kamcmd ps prints one per line).",
    call: () => host.states.all().flatMap((slot) => [slot.pid ?? Deno.pid, describeSlot(slot)]),
  });
  methods.set("core.psx", {
    params: [],
    help: "One row per worker (IDX, PID, DSC as Kamailio's, and task, index, state, isolation); " +
      "stuck ones too.",
    call: () => [
      ...host.states.all().map((slot) => ({
        IDX: slot.id,
        PID: slot.pid ?? Deno.pid,
        DSC: describeSlot(slot),
        idx: slot.id,
        role: slot.role,
        ...workerInfo(slot),
        ...sandboxOf(host, slot),
        description: describeSlot(slot),
      })),
      ...host.workers.stuck.map((worker) => ({
        IDX: -1,
        PID: Deno.pid,
        DSC: `stuck ${worker.label} (stopped in synchronous code; its thread may still run)`,
        role: "stuck",
        state: "stuck",
        since: new Date(worker.since).toISOString(),
        description: `stopped while stuck in synchronous code (${worker.label}); Deno cannot ` +
          "interrupt it: its thread may use a CPU core until the host restarts",
      })),
    ],
  });
}
