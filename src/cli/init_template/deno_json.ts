/**
 * The new project's `deno.json`: its tasks, and the import of the typed
 * `KSR` API from the checkout, linked by path (no registry needed).
 *
 * @module
 */

import { HOST_FLAGS, MKFIFO_FLAG } from "../deno_flags.ts";
import type { ProjectFacts } from "./facts.ts";

/**
 * `deno.json`. `links` makes the checkout a local copy of its package, so
 * `jsr:${packageName}` (the host, `/kemi`, `/kemi/testing`) resolves to it
 * and the checkout's own imports resolve with its own `deno.json`; the
 * tasks name no path, so moving the checkout changes one line.
 */
export function denoJson(facts: ProjectFacts): string {
  const host = `deno run ${HOST_FLAGS.join(" ")}`;
  const run = `--config deno.json jsr:${facts.packageName} --config evrexec.jsonc`;
  const config = {
    tasks: {
      start: `${host} ${MKFIFO_FLAG} ${run}`,
      dev: `${host} --allow-run ${run} --watch --check --log-level debug`,
      test: "deno test",
      check: "deno fmt --check && deno lint && deno check .",
    },
    imports: { [facts.packageName]: `jsr:${facts.packageName}` },
    links: [facts.checkout],
  };
  return JSON.stringify(config, null, 2) + "\n";
}
