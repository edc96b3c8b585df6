/**
 * A worker on a Web Worker: the cheapest kind, and the only thread that
 * takes Deno permissions of its own (`deno.permissions`, which needs
 * `--unstable-worker-options`); its heap cannot be capped.
 *
 * @module
 */

import type { InitMessage } from "../shared/messages.ts";
import type { Grant, Permissions } from "../config/sandbox.ts";
import { PERMISSION_KINDS } from "../config/sandbox.ts";
import { ThreadWorker } from "./thread.ts";
import type { WorkerEvents, WorkerOptions } from "./handle.ts";
import type { WorkerRegistry } from "./registry.ts";

/** The module every thread worker starts on. */
export const WORKER_URL = new URL("../worker/main.ts", import.meta.url);

/** A grant as a Web Worker's `deno.permissions` takes it: true, false or a list. */
const workerGrant = (grant: Grant | undefined) =>
  grant === undefined ? false : grant === "*" ? true : [...grant];

/** The `deno.permissions` of a Web Worker that may do exactly `permissions`. */
export function workerPermissions(permissions: Permissions): Record<string, boolean | string[]> {
  return Object.fromEntries(PERMISSION_KINDS.map((kind) => [kind, workerGrant(permissions[kind])]));
}

/**
 * The entry of a sandboxed Web Worker for `scriptUrl`: a module that imports
 * the worker code, then the script. Deno reads a worker's static imports with
 * the host's permissions and only what the code does with the worker's own,
 * so the worker needs no read permission for the modules it loads. The
 * worker code comes first: its listener hears the init message before any
 * listener of the script could.
 */
function sandboxedEntry(scriptUrl: string): string {
  let url = entries.get(scriptUrl);
  if (url === undefined) {
    const code = `import ${JSON.stringify(WORKER_URL.href)};\nimport ${
      JSON.stringify(scriptUrl)
    };\n`;
    url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
    entries.set(scriptUrl, url);
  }
  return url;
}
const entries = new Map<string, string>();

/** The name a worker's thread carries, e.g. `timer#0`. */
export const threadName = (init: InitMessage): string => `${init.task}#${init.index}`;

/** One Web Worker. */
export class WebWorkerHandle extends ThreadWorker {
  #worker: Worker;

  /** Starts a Web Worker and sends it `init`. Blocks for the worker's start-up. */
  constructor(
    init: InitMessage,
    events: WorkerEvents,
    registry: WorkerRegistry,
    options: WorkerOptions,
  ) {
    super(init, events, registry, options.sandbox);
    const { permissions } = options.sandbox;
    const entry = permissions === null ? WORKER_URL : sandboxedEntry(init.scriptUrl);
    this.#worker = new Worker(entry, {
      type: "module",
      name: threadName(init),
      ...(permissions === null ? {} : { deno: { permissions: workerPermissions(permissions) } }),
    });
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      const where = event.filename ? ` (${event.filename}:${event.lineno}:${event.colno})` : "";
      this.kill({ name: "Error", message: `${event.message}${where}` });
    };
    this.handOver(init, (message, transfer) => this.#worker.postMessage(message, transfer));
  }

  /** Deno's `terminate()`. */
  protected terminateThread(): void {
    this.#worker.terminate();
  }
}
