/**
 * Task control over RPC: `evrexec.stop`, `evrexec.start`, `evrexec.restart`,
 * `evrexec.trigger` and `evrexec.reload`; each is refused (-32002) once the
 * host is stopping, and each that acts is logged at info with what it did
 * (a reload by its own line, see `host/reload_plan.ts`).
 *
 * @module
 */

import type { HostAccess } from "../host_access.ts";
import { log } from "../../base/log.ts";
import { messageOf } from "../../shared/error_text.ts";
import type { WorkerState } from "../../spawn/worker_states.ts";
import type { MethodMap } from "../../rpc/dispatch.ts";
import { RpcCode, RpcError } from "../../rpc/errors.ts";
import type { TaskSupervisor } from "../../tasks/supervisor.ts";
import { badParams, stringParam } from "../../rpc/params.ts";
import { stoppingError } from "../host_errors.ts";
import { taskInfo } from "./task_info.ts";
import { quoteValue } from "../../shared/quote.ts";

function findTask(host: HostAccess, values: Record<string, unknown>): TaskSupervisor {
  if (host.stopping) throw stoppingError();
  const name = stringParam(values, "task");
  const supervisor = host.supervisor(name);
  if (supervisor === undefined) {
    const names = host.supervisors.map((s) => s.task.name).join(", ") || "none";
    throw badParams(`unknown task ${quoteValue(name)} (tasks: ${names})`);
  }
  return supervisor;
}

function findIndex(supervisor: TaskSupervisor, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const index = typeof value === "string" && /^[0-9]+$/.test(value) ? Number(value) : value;
  if (
    typeof index !== "number" || !Number.isInteger(index) || index < 0 ||
    index >= supervisor.slots.length
  ) {
    throw badParams(
      `task ${quoteValue(supervisor.task.name)} has no worker ${quoteValue(value)} ` +
        `(indexes 0 to ${supervisor.slots.length - 1})`,
    );
  }
  return index;
}

/** States of a slot whose worker is up (or coming up). */
const LIVE: ReadonlySet<WorkerState> = new Set(["starting", "waiting", "running", "idle"]);

/** How many of `supervisor`'s slots have a live worker. */
function live(supervisor: TaskSupervisor): number {
  return supervisor.slots.filter((slot) => LIVE.has(slot.state)).length;
}

/** `task` or `task worker N`, for a log line. */
function target(supervisor: TaskSupervisor, index?: number): string {
  const name = JSON.stringify(supervisor.task.name);
  return index === undefined ? name : `${name} worker ${index}`;
}

/** Logs what a control method did, at info. */
function logControl(method: string, supervisor: TaskSupervisor, did: string, index?: number) {
  log("rpc").info("{method} {target}: {did}; the task is {state}", {
    method,
    target: target(supervisor, index),
    did,
    state: supervisor.state,
  });
}

/**
 * Refuses to start a `singleton=cluster` task's workers on a host that does
 * not hold its lease: they run only where the lease is held.
 */
function refuseStandby(host: HostAccess, supervisor: TaskSupervisor, method: string): void {
  if (host.fleet?.standsBy(supervisor.task.name)) {
    throw new RpcError(
      RpcCode.INVALID_REQUEST,
      `${method}: task ${quoteValue(supervisor.task.name)} is a singleton=cluster task that ` +
        "another node holds: its workers run only on the holder (see evrexec.cluster)",
    );
  }
}

/** Adds the task control methods to `methods`. */
export function addTaskControlMethods(methods: MethodMap, host: HostAccess): void {
  const grace = () => host.config.shutdownTimeoutMs;
  methods.set("evrexec.stop", {
    params: [{ name: "task" }],
    help:
      "Stops a task's workers (each function is told through KSR.shutdown first); answers the task's new state.",
    async call(values) {
      const supervisor = findTask(host, values);
      const before = live(supervisor);
      await supervisor.stop(grace());
      logControl("evrexec.stop", supervisor, `stopped ${before} of ${supervisor.slots.length}`);
      return taskInfo(supervisor);
    },
  });
  methods.set("evrexec.start", {
    params: [{ name: "task" }],
    help:
      "Starts a task's workers that are not running (stopped, ended, failed or in backoff); answers the new state.",
    call(values) {
      const supervisor = findTask(host, values);
      refuseStandby(host, supervisor, "evrexec.start");
      const idle = supervisor.slots.length - live(supervisor);
      supervisor.start();
      logControl("evrexec.start", supervisor, `started ${idle} of ${supervisor.slots.length}`);
      return taskInfo(supervisor);
    },
  });
  methods.set("evrexec.restart", {
    params: [{ name: "task" }, { name: "index", optional: true }],
    help: "Restarts a task's workers, or only worker index; answers the task's new state.",
    async call(values) {
      const supervisor = findTask(host, values);
      refuseStandby(host, supervisor, "evrexec.restart");
      const index = findIndex(supervisor, values.index);
      await supervisor.restart(grace(), index);
      const count = index === undefined ? supervisor.slots.length : 1;
      logControl("evrexec.restart", supervisor, `restarted ${count}`, index);
      return taskInfo(supervisor);
    },
  });
  methods.set("evrexec.trigger", {
    params: [{ name: "task" }, { name: "index", optional: true }],
    help:
      "Runs one tick of a timer task now on its workers, or only worker index, under its overlap rule; answers once the ticks have started.",
    async call(values) {
      const supervisor = findTask(host, values);
      const index = findIndex(supervisor, values.index);
      if (supervisor.schedule === null) {
        throw badParams(`task ${quoteValue(supervisor.task.name)} has no every= or cron=`);
      }
      if (supervisor.task.fleet !== undefined) {
        throw new RpcError(
          RpcCode.INVALID_REQUEST,
          `evrexec.trigger: task ${quoteValue(supervisor.task.name)} is a singleton=cluster ` +
            "task: each of its fires runs once in the fleet, by its schedule",
        );
      }
      const ticks = await supervisor.schedule.trigger(index);
      const outcomes = ticks.map((tick) => `worker ${tick.index} ${tick.tick}`).join(", ");
      logControl("evrexec.trigger", supervisor, `ticks ${outcomes || "none"}`, index);
      return { task: supervisor.task.name, ticks };
    },
  });
  methods.set("evrexec.reload", {
    params: [],
    help:
      "Re-imports the script, checks it, replaces the RPC pool and restarts tasks whose restart policy is not 'no'.",
    async call() {
      try {
        return await host.reload();
      } catch (error) {
        log("rpc").warn("evrexec.reload: {error}", { error: messageOf(error) });
        throw error;
      }
    },
  });
}
