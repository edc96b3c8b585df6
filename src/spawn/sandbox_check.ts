/**
 * The sandboxes a host runs (every task's and the RPC pool's), and what is
 * checked of them before anything starts: a process worker needs the host to
 * run deno, and no sandbox may ask for a permission the host does not hold.
 *
 * @module
 */

import { requireDenoRun } from "../base/deno_command.ts";
import { ConfigError } from "../base/errors.ts";
import {
  type Grant,
  PERMISSION_KINDS,
  type PermissionKind,
  permissionsText,
  resolveSandbox,
  type Sandbox,
} from "../config/sandbox.ts";
import type { HostConfig } from "../config/host_config.ts";
import { requireWorkerOptions } from "./worker_options_flag.ts";
import { quoteValue } from "../shared/quote.ts";

/** A sandbox and who has it, e.g. `exec task "poller"` or `the RPC pool`. */
export interface OwnedSandbox {
  /** Who has it, e.g. `exec task "poller"`. */
  readonly owner: string;
  /** The sandbox. */
  readonly sandbox: Sandbox;
}

/** Every sandbox of `config`: the tasks' in order, then the RPC pool's. */
export function sandboxesOf(config: HostConfig): OwnedSandbox[] {
  const heap = config.workerHeapMiB;
  return [
    ...config.tasks.map((task) => ({
      owner: `exec task ${quoteValue(task.name)}`,
      sandbox: resolveSandbox(task.sandbox, heap),
    })),
    { owner: "the RPC pool (--rpc-pool)", sandbox: resolveSandbox(config.rpcSandbox, heap) },
  ];
}

/** The descriptor Deno's permission query takes for one item of `kind`. */
function descriptor(kind: PermissionKind, item?: string): Deno.PermissionDescriptor {
  if (item === undefined) return { name: kind } as Deno.PermissionDescriptor;
  switch (kind) {
    case "read":
    case "write":
    case "ffi":
      return { name: kind, path: item };
    case "net":
    case "import":
      return { name: kind, host: item };
    case "env":
      return { name: kind, variable: item };
    case "run":
      return { name: kind, command: item };
    case "sys":
      return { name: kind, kind: item as Deno.SysPermissionDescriptor["kind"] };
  }
}

/** The items of `grant` the host does not hold (`["*"]` for a `*` it does not hold in full). */
export function notHeld(kind: PermissionKind, grant: Grant): string[] {
  const items = grant === "*" ? [undefined] : grant;
  return items.filter((item) =>
    Deno.permissions.querySync(descriptor(kind, item)).state !== "granted"
  )
    .map((item) => item ?? "*");
}

/**
 * Throws a {@link ConfigError} for the first sandbox the host cannot give,
 * or for two tasks of one shared group (`group=`) whose heap caps or
 * permissions differ: a group is one isolate.
 */
export function checkSandboxes(sandboxes: readonly OwnedSandbox[]): void {
  const groups = new Map<string, OwnedSandbox>();
  for (const owned of sandboxes) {
    const { owner, sandbox } = owned;
    if (sandbox.group === undefined) continue;
    const first = groups.get(sandbox.group);
    if (first === undefined) {
      groups.set(sandbox.group, owned);
      continue;
    }
    const other = first.sandbox;
    if (
      other.heapMiB !== sandbox.heapMiB ||
      permissionsText(other.permissions) !== permissionsText(sandbox.permissions)
    ) {
      throw new ConfigError(
        `${owner}: group=${sandbox.group} differs from ${first.owner} in heap= or allow-* keys: ` +
          "the tasks of one group share one isolate, so give them the same",
      );
    }
  }
  for (const { owner, sandbox } of sandboxes) {
    if (sandbox.isolation === "process") requireDenoRun(`${owner}: isolation=process`, "deno run");
    const permissions = sandbox.permissions;
    if (permissions === null) continue;
    for (const kind of PERMISSION_KINDS) {
      const grant = permissions[kind];
      const missing = grant === undefined ? [] : notHeld(kind, grant);
      if (missing.length === 0) continue;
      const asked = permissionsText({ [kind]: missing.includes("*") ? "*" : missing });
      throw new ConfigError(
        `${owner}: ${asked} asks for more than the host holds: a worker cannot be given a ` +
          `permission its host lacks (start the host with --allow-${kind}${
            missing.includes("*") ? "" : `=${missing.join(",")}`
          } or more)`,
      );
    }
  }
}

/**
 * The checks of {@link checkSandboxes} for the configuration a reload moves
 * to, and `--unstable-worker-options` when it gives a thread permissions
 * (without it Deno would end the process at that worker's start).
 */
export async function checkNextSandboxes(config: HostConfig): Promise<void> {
  const sandboxes = sandboxesOf(config);
  checkSandboxes(sandboxes);
  const permitted = sandboxes.find(({ sandbox }) =>
    sandbox.isolation !== "process" && sandbox.permissions !== null
  );
  if (permitted) await requireWorkerOptions(permitted.owner);
}
