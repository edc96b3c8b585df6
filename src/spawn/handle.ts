/**
 * The host's side of one worker, whatever its kind: what its owner hears,
 * the heap ping, and how it is stopped. The kinds (`web_thread.ts`,
 * `node_thread.ts`, `process.ts`) supply the transport and the ending;
 * `start_worker.ts` picks one for a sandbox. Every live handle is listed in
 * its host's {@link WorkerRegistry}.
 *
 * @module
 */

import type {
  ErrorInfo,
  HostToWorker,
  InitMessage,
  WorkerRole,
  WorkerToHost,
} from "../shared/messages.ts";
import type { Sandbox } from "../config/sandbox.ts";
import type { WorkerRegistry } from "./registry.ts";
import type { WorkerSlot } from "./worker_states.ts";
import { quoteValue } from "../shared/quote.ts";

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

/** What a worker kind needs besides the init message and the events. */
export interface WorkerOptions {
  /** How the worker is isolated. */
  readonly sandbox: Sandbox;
  /** The slot the worker fills: a process worker shows its PID there while it lives. */
  readonly slot?: WorkerSlot;
}

/** One running worker. */
export abstract class WorkerHandle {
  /** Task (or `rpc`) and index, for messages about this worker. */
  readonly label: string;
  /** An exec task's worker, or one of the RPC pool. */
  readonly role: WorkerRole;
  /** How the worker is isolated. */
  readonly sandbox: Sandbox;
  #events: WorkerEvents;
  /** The host's registry of workers, where a stuck one is listed. */
  protected readonly registry: WorkerRegistry;
  #alive = true;
  #statsWaiters: ((heapUsed: number) => void)[] = [];
  #lastHeard = performance.now();

  /** Sets up what every kind shares; the kind starts the worker, then calls `listed`. */
  protected constructor(
    init: InitMessage,
    events: WorkerEvents,
    registry: WorkerRegistry,
    sandbox: Sandbox,
  ) {
    this.label = init.carrier !== undefined
      ? `the thread of shared group ${quoteValue(init.task)}`
      : `${
        init.role === "rpc" ? "rpc worker" : `task ${quoteValue(init.task)} worker`
      } ${init.index}`;
    this.role = init.role;
    this.#events = events;
    this.registry = registry;
    this.sandbox = sandbox;
  }

  /** The process the worker runs in, when it is a child process. */
  get pid(): number | undefined {
    return undefined;
  }

  /** True when the worker is a thread of this process (its heap is in the host's RSS). */
  get inProcess(): boolean {
    return true;
  }

  /** True until the worker is terminated or dies. */
  get alive(): boolean {
    return this.#alive;
  }

  /** When the worker last sent anything (performance.now()). */
  protected get lastHeard(): number {
    return this.#lastHeard;
  }

  /** Sends a message to the worker, if it is still alive. */
  post(message: HostToWorker): void {
    if (this.#alive) this.send(message);
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
   * Terminates the worker and resolves once that is settled: true when its
   * thread did not end (stuck in synchronous code, which Deno cannot
   * interrupt; it is then listed as stuck), false when it ended.
   */
  stop(): Promise<boolean> {
    if (!this.#alive) return Promise.resolve(false);
    this.terminate();
    return this.ended;
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
    this.registry.live.delete(this);
    this.end();
  }

  /** Resolves after `terminate`: true when the worker's thread did not end (stuck). */
  abstract get ended(): Promise<boolean>;

  /** Sends a message by the kind's private channel. */
  protected abstract send(message: HostToWorker): void;

  /** Ends the worker the kind's way (called once, by `terminate`). */
  protected abstract end(): void;

  /** Lists the started worker as live. */
  protected listed(): void {
    this.registry.live.add(this);
  }

  /** A message from the worker, through the kind's private channel. */
  protected heard(message: WorkerToHost): void {
    if (!this.#alive) return;
    this.#lastHeard = performance.now();
    if (message.type === "stats") {
      for (const wake of this.#statsWaiters.splice(0)) wake(message.heapUsed);
      return;
    }
    this.#events.message(message);
  }
}
