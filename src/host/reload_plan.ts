/**
 * What a reload moves to and what it tells: the configuration read again
 * (only the fields a reload applies are taken), the answer listing the tasks
 * added, removed, changed, restarted and kept, and its log lines.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import type { TaskSupervisor } from "../tasks/supervisor.ts";
import { type ConfigSource, type HostConfig, RELOADED_FIELDS } from "../config/host_config.ts";
import { log } from "../base/log.ts";
import { reloadFailed } from "./host_errors.ts";
import type { TaskChanges } from "./task_set.ts";

/** What `evrexec.reload` answers. */
export interface ReloadReport {
  /** The script's version: 1 at start, one more per reload. */
  readonly version: number;
  /** The script's URL. */
  readonly script: string;
  /** The config file read again, if the host has one. */
  readonly config?: string;
  /** The exported functions of the new version. */
  readonly functions: string[];
  /** What happened to the RPC pool. */
  readonly rpc_pool: "replaced";
  /** Tasks new in the config file, started. */
  readonly added_tasks: string[];
  /** Tasks no longer in the config file, stopped gracefully. */
  readonly removed_tasks: string[];
  /** Tasks whose keys changed in the config file, stopped and started with the new keys. */
  readonly changed_tasks: string[];
  /** Unchanged tasks whose workers were restarted on the new code (restart policy not `no`). */
  readonly restarted_tasks: string[];
  /** Unchanged tasks left running on the old code (restart=no, or stopped). */
  readonly kept_tasks: string[];
  /** Options changed in the config file that a reload does not apply: they need a restart. */
  readonly needs_restart: string[];
}

/**
 * The configuration a reload moves to: the source's (the config file read
 * again) for the fields a reload applies, the running one's for the rest.
 * A mistake in the file is a -32003 that names it; without a source the
 * running configuration stays.
 */
export function rereadConfig(
  running: HostConfig,
  source: ConfigSource | null,
): { config: HostConfig; needsRestart: readonly string[] } {
  if (source === null) return { config: running, needsRestart: [] };
  let read;
  try {
    read = source();
  } catch (error) {
    if (error instanceof ConfigError) throw reloadFailed(error.message);
    throw error;
  }
  const config: Draft = { ...running };
  for (const field of RELOADED_FIELDS) take(config, read.config, field);
  return { config, needsRestart: read.needsRestart };
}

/** A configuration being put together. */
type Draft = { -readonly [K in keyof HostConfig]: HostConfig[K] };

/** Sets `field` of `into` to its value in `from`. */
function take<K extends keyof HostConfig>(into: Draft, from: HostConfig, field: K): void {
  into[field] = from[field];
}

/** The answer to a reload that succeeded. */
export function reloadReport(
  host: { readonly version: number; readonly config: HostConfig },
  functions: readonly string[],
  changes: TaskChanges,
  restarted: readonly TaskSupervisor[],
  needsRestart: readonly string[],
): ReloadReport {
  const restartedNames = restarted.map((s) => s.task.name);
  return {
    version: host.version,
    script: host.config.scriptUrl,
    ...(host.config.configFile ? { config: host.config.configFile } : {}),
    functions: [...functions],
    rpc_pool: "replaced",
    added_tasks: [...changes.added],
    removed_tasks: [...changes.removed],
    changed_tasks: [...changes.changed],
    restarted_tasks: restartedNames,
    kept_tasks: changes.unchanged.filter((name) => !restartedNames.includes(name)),
    needs_restart: [...needsRestart],
  };
}

/** Logs a reload: one line of what changed, one warning per option that needs a restart. */
export function logReload(report: ReloadReport, changed: readonly string[], ms: number): void {
  const list = (names: readonly string[]) => names.join(", ") || "none";
  log().info(
    "reloaded {script} (version {version}){changed} in {ms} ms; tasks added: {added}; " +
      "removed: {removed}; changed: {changedTasks}; restarted: {tasks}",
    {
      script: report.script,
      version: report.version,
      changed: changed.length > 0 ? ` after a change of ${changed.join(", ")}` : "",
      ms: Math.round(ms),
      added: list(report.added_tasks),
      removed: list(report.removed_tasks),
      changedTasks: list(report.changed_tasks),
      tasks: list(report.restarted_tasks),
    },
  );
  for (const name of report.needs_restart) {
    log().warn("{file}: {option} changed; it needs a restart (kept as it runs)", {
      file: report.config ?? "the config",
      option: name === "exec" || name === "script" ? name : `--${name}`,
    });
  }
}
