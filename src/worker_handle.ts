/**
 * The host's side of one Web Worker: starts it on `worker_main.ts`, sends it
 * the init message, and turns its messages and crashes into callbacks.
 *
 * @module
 */

import type { ErrorInfo, HostToWorker, InitMessage, WorkerToHost } from "./protocol.ts";

const WORKER_URL = new URL("./worker_main.ts", import.meta.url);

/** What the owner of a worker hears from it. */
export interface WorkerEvents {
  /** A message from the worker. */
  message(message: WorkerToHost): void;
  /** The worker died of an uncaught error; it is terminated already. */
  crash(error: ErrorInfo): void;
}

/** One running Web Worker. */
export class WorkerHandle {
  #worker: Worker;
  #alive = true;

  /** Starts a worker and sends it `init`. Blocks for the worker's start-up. */
  constructor(init: InitMessage, events: WorkerEvents) {
    this.#worker = new Worker(WORKER_URL, { type: "module", name: `${init.task}#${init.index}` });
    this.#worker.onmessage = (event: MessageEvent<WorkerToHost>) => {
      if (this.#alive) events.message(event.data);
    };
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      if (!this.#alive) return;
      this.terminate();
      const where = event.filename ? ` (${event.filename}:${event.lineno}:${event.colno})` : "";
      events.crash({ name: "Error", message: `${event.message}${where}` });
    };
    this.#worker.onmessageerror = () => {
      if (!this.#alive) return;
      this.terminate();
      events.crash({ name: "Error", message: "a message from the worker could not be read" });
    };
    this.#worker.postMessage(init);
  }

  /** True until the worker is terminated or has crashed. */
  get alive(): boolean {
    return this.#alive;
  }

  /** Sends a message to the worker, if it is still alive. */
  post(message: HostToWorker): void {
    if (this.#alive) this.#worker.postMessage(message);
  }

  /** Stops the worker; no callback fires after this. */
  terminate(): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#worker.terminate();
  }
}
