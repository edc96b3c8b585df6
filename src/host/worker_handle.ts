/**
 * The host's side of one Web Worker: starts it on `worker/main.ts`, sends it
 * the init message, and turns its messages and crashes into callbacks. Every
 * live handle is listed in {@link liveWorkers} for the memory watchdog.
 *
 * @module
 */

import { log } from "./log.ts";
import type { ErrorInfo, HostToWorker, InitMessage, WorkerToHost } from "../shared/messages.ts";

const WORKER_URL = new URL("../worker/main.ts", import.meta.url);
/** How long a worker gets to answer a ping before it counts as stuck in synchronous code. */
const PING_MS = 200;

/** What the owner of a worker hears from it. */
export interface WorkerEvents {
  /** A message from the worker. */
  message(message: WorkerToHost): void;
  /** The worker died (an uncaught error, or killed by the host); it is terminated already. */
  crash(error: ErrorInfo): void;
}

/** Every worker that is alive now. */
export const liveWorkers: Set<WorkerHandle> = new Set();

/**
 * A worker that was stopped while stuck in synchronous code. Deno's
 * `worker.terminate()` cannot interrupt such code, so its thread may keep a
 * CPU core busy until the host restarts.
 */
export interface StuckWorker {
  /** What the worker was, e.g. `task "spin" worker 0`. */
  readonly label: string;
  /** When it was stopped, in ms since the epoch. */
  readonly since: number;
}

/** Workers stopped while stuck in synchronous code, oldest first. */
export const stuckWorkers: StuckWorker[] = [];

/** One running Web Worker. */
export class WorkerHandle {
  /** Task (or `rpc`) and index, for messages about this worker. */
  readonly label: string;
  #worker: Worker;
  #events: WorkerEvents;
  #alive = true;
  #statsWaiters: ((heapUsed: number) => void)[] = [];

  /** Starts a worker and sends it `init`. Blocks for the worker's start-up. */
  constructor(init: InitMessage, events: WorkerEvents) {
    this.label = `${
      init.role === "rpc" ? "rpc worker" : `task ${JSON.stringify(init.task)} worker`
    } ${init.index}`;
    this.#events = events;
    this.#worker = new Worker(WORKER_URL, { type: "module", name: `${init.task}#${init.index}` });
    this.#worker.onmessage = (event: MessageEvent<WorkerToHost>) => {
      if (!this.#alive) return;
      const message = event.data;
      if (message.type === "stats") {
        for (const wake of this.#statsWaiters.splice(0)) wake(message.heapUsed);
        return;
      }
      events.message(message);
    };
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      const where = event.filename ? ` (${event.filename}:${event.lineno}:${event.colno})` : "";
      this.kill({ name: "Error", message: `${event.message}${where}` });
    };
    this.#worker.onmessageerror = () => {
      this.kill({ name: "Error", message: "a message from the worker could not be read" });
    };
    this.#worker.postMessage(init);
    liveWorkers.add(this);
  }

  /** Sends a message to the worker, if it is still alive. */
  post(message: HostToWorker): void {
    if (this.#alive) this.#worker.postMessage(message);
  }

  /**
   * Asks the worker for its heap in use, in bytes; null if it does not
   * answer within `timeoutMs` (it is busy in synchronous code).
   */
  heapUsed(timeoutMs: number): Promise<number | null> {
    if (!this.#alive) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      this.#statsWaiters.push((heapUsed) => {
        clearTimeout(timer);
        resolve(heapUsed);
      });
      this.post({ type: "stats" });
    });
  }

  /**
   * Terminates the worker; if it does not answer a ping first (it is stuck
   * in synchronous code, which Deno cannot interrupt), it is listed in
   * {@link stuckWorkers} and a warning says so.
   */
  async stop(): Promise<void> {
    if (!this.#alive) return;
    const answered = await this.heapUsed(PING_MS) !== null;
    if (answered) this.terminate();
    else this.abandon();
  }

  /**
   * Terminates a worker known to be stuck in synchronous code (it answered
   * nothing in time): lists it in {@link stuckWorkers} and warns.
   */
  abandon(): void {
    if (!this.#alive) return;
    this.terminate();
    stuckWorkers.push({ label: this.label, since: Date.now() });
    log().warn(
      "{worker} was stopped while stuck in synchronous code, which Deno cannot interrupt: " +
        "its thread may keep a CPU core busy until the host restarts (core.psx lists it)",
      { worker: this.label },
    );
  }

  /** Terminates the worker and reports `error` to its owner as a crash. */
  kill(error: ErrorInfo): void {
    if (!this.#alive) return;
    this.terminate();
    this.#events.crash(error);
  }

  /** Stops the worker; no callback fires after this. */
  terminate(): void {
    if (!this.#alive) return;
    this.#alive = false;
    liveWorkers.delete(this);
    this.#worker.terminate();
  }
}
