/**
 * The host's side of one Web Worker: starts it on `worker/main.ts`, sends it
 * the init message with a private MessagePort, and turns what comes through
 * that port, and crashes, into callbacks. Every live handle is listed in its
 * host's {@link WorkerRegistry}.
 *
 * @module
 */

import { log } from "./log.ts";
import type { ErrorInfo, HostToWorker, InitMessage, WorkerToHost } from "../shared/messages.ts";
import type { WorkerRegistry } from "./worker_registry.ts";

const WORKER_URL = new URL("../worker/main.ts", import.meta.url);
/** How long a worker gets to answer a ping before it counts as stuck in synchronous code. */
const PING_MS = 200;
/**
 * A wait for a worker's answer goes in steps of this many ms: a step that
 * the host's own thread delayed (starting a worker blocks it) counts as one
 * step, so an answer that came meanwhile is read before the wait gives up.
 */
const LISTEN_STEP_MS = 25;

/** What the owner of a worker hears from it. */
export interface WorkerEvents {
  /** A message from the worker. */
  message(message: WorkerToHost): void;
  /** The worker died (an uncaught error, or killed by the host); it is terminated already. */
  crash(error: ErrorInfo): void;
}

/** One running Web Worker. */
export class WorkerHandle {
  /** Task (or `rpc`) and index, for messages about this worker. */
  readonly label: string;
  #worker: Worker;
  /**
   * The host's end of the worker's private channel. The worker's global
   * scope is the script's too: what the script posts there is ignored.
   */
  #port: MessagePort;
  #events: WorkerEvents;
  #registry: WorkerRegistry;
  #alive = true;
  #statsWaiters: ((heapUsed: number) => void)[] = [];

  /**
   * Starts a worker, lists it in `registry` and sends it `init`. Blocks for
   * the worker's start-up.
   */
  constructor(init: InitMessage, events: WorkerEvents, registry: WorkerRegistry) {
    this.label = `${
      init.role === "rpc" ? "rpc worker" : `task ${JSON.stringify(init.task)} worker`
    } ${init.index}`;
    this.#events = events;
    this.#registry = registry;
    this.#worker = new Worker(WORKER_URL, { type: "module", name: `${init.task}#${init.index}` });
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#port.onmessage = (event: MessageEvent<WorkerToHost>) => {
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
    this.#port.onmessageerror = () => {
      this.kill({ name: "Error", message: "a message from the worker could not be read" });
    };
    this.#worker.postMessage(init, [port2]);
    registry.live.add(this);
  }

  /** Sends a message to the worker, if it is still alive. */
  post(message: HostToWorker): void {
    if (this.#alive) this.#port.postMessage(message);
  }

  /**
   * Asks the worker for its heap in use, in bytes; null if it does not
   * answer within `timeoutMs` of the host's listening (it is busy in
   * synchronous code).
   */
  heapUsed(timeoutMs: number): Promise<number | null> {
    if (!this.#alive) return Promise.resolve(null);
    return new Promise((resolve) => {
      let answered = false;
      this.#statsWaiters.push((heapUsed) => {
        answered = true;
        resolve(heapUsed);
      });
      this.post({ type: "stats" });
      (async () => {
        for (let waited = 0; waited < timeoutMs && !answered; waited += LISTEN_STEP_MS) {
          await new Promise((step) => setTimeout(step, LISTEN_STEP_MS));
        }
        resolve(null); // no effect once answered
      })();
    });
  }

  /**
   * Terminates the worker; if it does not answer a ping first (it is stuck
   * in synchronous code, which Deno cannot interrupt), a warning says so and
   * it is listed in the registry's stuck workers (which may end the host).
   * Resolves true when it was stuck.
   */
  async stop(): Promise<boolean> {
    if (!this.#alive) return false;
    const answered = await this.heapUsed(PING_MS) !== null;
    if (!this.#alive) return false; // terminated or crashed meanwhile: not stuck
    if (answered) {
      this.terminate();
      return false;
    }
    this.abandon();
    return true;
  }

  /**
   * Terminates a worker known to be stuck in synchronous code (it answered
   * nothing in time): warns, and lists it in the registry's stuck workers
   * (which may end the host).
   */
  abandon(): void {
    if (!this.#alive) return;
    this.terminate();
    log().warn(
      "{worker} was stopped while stuck in synchronous code, which Deno cannot interrupt: " +
        "its thread may keep a CPU core busy until the host restarts (core.psx lists it)",
      { worker: this.label },
    );
    this.#registry.noteStuck(this.label);
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
    this.#registry.live.delete(this);
    this.#port.close();
    this.#worker.terminate();
  }
}
