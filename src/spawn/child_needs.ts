/**
 * What process workers need from the host, read before any of them starts
 * and again on each reload: the module files a child must be allowed to read
 * (the worker code and the script's local module graph, from `deno info`:
 * modules a Web Worker loads are checked against the process's read
 * permission), Deno's cache directory, and the permissions the host holds in
 * full (those a child without `allow-*` keys inherits).
 *
 * @module
 */

import { readModuleGraph } from "../base/module_graph.ts";
import { runDeno } from "../base/deno_command.ts";
import { messageOf } from "../shared/error_text.ts";
import { ConfigError } from "../base/errors.ts";
import { PERMISSION_KINDS, type Sandbox } from "../config/sandbox.ts";
import { type ChildLaunch, childLaunch, type HostGrants } from "./child_launch.ts";
import { WORKER_URL } from "./web_thread.ts";

/** The entry module of every child. */
export const CHILD_ENTRY = new URL("../worker/process_main.ts", import.meta.url);

/** The kinds the host holds in full. */
export function hostGrants(): HostGrants {
  return Object.fromEntries(PERMISSION_KINDS.map((name) => [
    name,
    Deno.permissions.querySync({ name } as Deno.PermissionDescriptor).state === "granted",
  ])) as Record<keyof HostGrants, boolean>;
}

/** Everything a child's launch needs, kept up to date with the script's version. */
export class ChildNeeds {
  #workerReads: readonly string[] | null = null;
  #scriptReads: readonly string[] = [];
  #denoDir: string | null = null;
  #grants: HostGrants | null = null;

  /**
   * Reads what launches need for `scriptUrl` (at start-up, and before each
   * reload loads the new version). Throws a {@link ConfigError} when deno
   * cannot list the modules.
   */
  async prepare(scriptUrl: string): Promise<void> {
    try {
      const [worker, script, info] = await Promise.all([
        this.#workerReads ?? readModuleGraph(WORKER_URL.href).then((graph) => graph.files),
        readModuleGraph(scriptUrl).then((graph) => graph.files),
        this.#denoDir === null ? runDeno(["info", "--json"], scriptUrl) : null,
      ]);
      this.#workerReads = worker;
      this.#scriptReads = script;
      if (info !== null) {
        this.#denoDir = (JSON.parse(info.stdout) as { denoDir?: string }).denoDir ?? null;
      }
      this.#grants ??= hostGrants();
    } catch (error) {
      throw new ConfigError(
        `isolation=process: cannot list the modules a child loads: ${messageOf(error)}`,
      );
    }
  }

  /** The launch of a child for `sandbox`; `prepare` must have run. */
  launch(sandbox: Sandbox): ChildLaunch {
    if (this.#workerReads === null || this.#grants === null) {
      throw new Error("a process worker was asked for before the child setup was read");
    }
    return childLaunch(sandbox, {
      entry: CHILD_ENTRY.href,
      reads: [...new Set([...this.#workerReads, ...this.#scriptReads])],
      hostGrants: this.#grants,
      hostEnv: this.#grants.env ? Deno.env.toObject() : {},
      denoDir: this.#denoDir,
    });
  }
}
