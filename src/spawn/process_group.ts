/**
 * A process worker's process group: each child starts in a session and group
 * of its own (`node:child_process` `detached: true`, which calls `setsid`),
 * so that what its script starts (`Deno.Command`, and what those start) is in
 * the same group, and ending the worker ends the group. Deno lets a process
 * signal a group (`Deno.kill(-pgid)`) only with `--allow-run` in full; a host
 * given `--allow-run` for the deno binary alone has a short `deno eval` send
 * the signal instead (one for the groups ended in one turn; about 70 ms, off
 * the host's thread).
 *
 * @module
 */

import { log } from "../base/log.ts";
import { messageOf } from "../shared/error_text.ts";

let mayKillGroups: boolean | undefined;

/** True when this process may signal any process (`--allow-run` in full). */
function runsAll(): boolean {
  mayKillGroups ??= Deno.permissions.querySync({ name: "run" }).state === "granted";
  return mayKillGroups;
}

/** True when `error` only says the group is empty already (ESRCH). */
function gone(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound || /\bos error 3\b|ESRCH/.test(messageOf(error));
}

/** Groups waiting for the one `deno eval` that signals them all (no `--allow-run` in full). */
let pending: number[] = [];

/**
 * Sends SIGKILL to every process of group `pgid` (a process worker's child
 * is its group's leader: its pid is the group's id). A group already empty
 * is no error; any other failure is logged, never thrown.
 */
export function killGroup(pgid: number): void {
  if (!Number.isInteger(pgid) || pgid <= 1) return;
  try {
    if (runsAll()) return Deno.kill(-pgid, "SIGKILL");
  } catch (error) {
    if (!gone(error)) warn([pgid], error);
    return;
  }
  // The groups ended in one turn (a shutdown ends them all) share one deno.
  if (pending.push(pgid) === 1) queueMicrotask(killPending);
}

function killPending(): void {
  const groups = pending;
  pending = [];
  const code = `for (const pgid of ${JSON.stringify(groups)}) {
    try { Deno.kill(-pgid, "SIGKILL"); } catch { /* the group is empty */ }
  }`;
  try {
    new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", "--no-config", code],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      clearEnv: true,
    }).spawn().status.catch(() => {});
  } catch (error) {
    warn(groups, error);
  }
}

function warn(groups: readonly number[], error: unknown): void {
  log().warn("ending the process group(s) {groups} failed: {error}", {
    groups: groups.join(", "),
    error: messageOf(error),
  });
}
