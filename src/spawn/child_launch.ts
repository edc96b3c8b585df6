/**
 * How a process worker is launched: the `deno run` arguments that give the
 * child exactly its sandbox's permissions as flags and its heap cap as a V8
 * flag, with its inspector parked where no one can connect (so SIGUSR1 opens
 * no debugger in it), and the environment it gets (only the variables
 * `allow-env` names).
 *
 * @module
 */

import {
  type Grant,
  PERMISSION_KINDS,
  type PermissionKind,
  type Sandbox,
} from "../config/sandbox.ts";
import { PARK_FLAGS } from "../shared/inspector_park.ts";

/** The permission kinds the host holds in full (what a child without `allow-*` keys gets). */
export type HostGrants = Readonly<Record<PermissionKind, boolean>>;

/** What every launch needs from the host. */
export interface LaunchContext {
  /** The child's entry module (`worker/process_main.ts`), as a path or URL. */
  readonly entry: string;
  /** The module files the child must read to load the worker code and the script. */
  readonly reads: readonly string[];
  /** The kinds the host holds in full. */
  readonly hostGrants: HostGrants;
  /** The host's environment. */
  readonly hostEnv: Readonly<Record<string, string>>;
  /** Deno's cache directory, passed as DENO_DIR (the child's own modules cache). */
  readonly denoDir: string | null;
}

/** A child's command line (after the deno binary) and environment. */
export interface ChildLaunch {
  /** The child's command line after the deno binary. */
  readonly args: readonly string[];
  /** The child's environment. */
  readonly env: Readonly<Record<string, string>>;
}

/** True when variable `name` is named by `grant` (`*`, names, or `PREFIX_*`). */
function envNamed(grant: Grant, name: string): boolean {
  if (grant === "*") return true;
  return grant.some((item) =>
    item.endsWith("*") ? name.startsWith(item.slice(0, -1)) : item === name
  );
}

/** The flags that give the child exactly `sandbox`'s permissions. */
function permissionFlags(sandbox: Sandbox, context: LaunchContext): string[] {
  const { permissions } = sandbox;
  const flags: string[] = [];
  for (const kind of PERMISSION_KINDS) {
    const grant = permissions === null
      ? (context.hostGrants[kind] ? "*" : undefined)
      : permissions[kind];
    if (kind === "read") {
      // The worker code and the script load in a Web Worker, which must read them.
      flags.push(
        grant === "*"
          ? "--allow-read"
          : `--allow-read=${[...(grant ?? []), ...context.reads].join(",")}`,
      );
    } else if (grant === "*") flags.push(`--allow-${kind}`);
    else if (grant !== undefined) flags.push(`--allow-${kind}=${grant.join(",")}`);
    else if (kind === "import" && permissions !== null) flags.push("--deny-import");
  }
  return flags;
}

/** The environment of a child: the variables its `allow-env` names, and what deno needs. */
function childEnv(sandbox: Sandbox, context: LaunchContext): Record<string, string> {
  const { permissions } = sandbox;
  const { hostEnv, hostGrants } = context;
  const envGrant = permissions === null ? (hostGrants.env ? "*" : undefined) : permissions.env;
  const env: Record<string, string> = {};
  if (envGrant !== undefined) {
    for (const [name, value] of Object.entries(hostEnv)) {
      if (envNamed(envGrant, name)) env[name] = value;
    }
  }
  const runs = permissions === null ? hostGrants.run : permissions.run !== undefined;
  if (runs && hostEnv.PATH !== undefined) env.PATH ??= hostEnv.PATH; // to find the programs it runs
  if (context.denoDir !== null) env.DENO_DIR = context.denoDir;
  if (hostEnv.NO_COLOR !== undefined) env.NO_COLOR = hostEnv.NO_COLOR;
  return env;
}

/** The launch of a child for `sandbox`. */
export function childLaunch(sandbox: Sandbox, context: LaunchContext): ChildLaunch {
  return {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      ...PARK_FLAGS,
      ...(sandbox.heapMiB > 0 ? [`--v8-flags=--max-old-space-size=${sandbox.heapMiB}`] : []),
      ...permissionFlags(sandbox, context),
      context.entry,
      String(Deno.pid),
    ],
    env: childEnv(sandbox, context),
  };
}
