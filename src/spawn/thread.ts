/**
 * What both thread kinds share: a private MessagePort handed over in the
 * init message (the script shares the worker's global scope, so the host
 * listens to this port only), and the stuck verdict. Once the worker's
 * thread has really ended, its end of the port is gone and the host's end
 * fires "close" (a `node:worker_threads` MessageChannel's documented event,
 * which Deno 2.9 fires for a port given to any worker); a thread still
 * spinning in synchronous code never lets go of it. So a terminated
 * worker whose port has not closed within {@link STUCK_AFTER_MS} is stuck:
 * listed (it counts against --max-stuck), and taken off the list if it ends
 * later. Neither `terminate()` nor node's "exit" event tells: both come at
 * once, even for a thread that spins on.
 *
 * @module
 */

import { MessageChannel as NodeMessageChannel } from "node:worker_threads";
import { log } from "../base/log.ts";
import type { ErrorInfo, HostToWorker, InitMessage, WorkerToHost } from "../shared/messages.ts";
import type { Sandbox } from "../config/sandbox.ts";
import { type WorkerEvents, WorkerHandle } from "./handle.ts";
import type { StuckWorker, WorkerRegistry } from "./registry.ts";

/** A terminated worker whose thread has not ended within this many ms is stuck. */
export const STUCK_AFTER_MS = 3000;
/**
 * A thread that ends by itself (an uncaught error, `close()`) closes its
 * port too; its error event gets this long to come first and name the cause.
 */
const CAUSE_MS = 100;

/** A worker on a thread of the host's process. */
export abstract class ThreadWorker extends WorkerHandle {
  #port: MessagePort;
  #workerEnd: MessagePort;
  #threadEnded = false;
  #stuck: StuckWorker | null = null;
  #verdict: PromiseWithResolvers<boolean> = Promise.withResolvers();
  #judge: ReturnType<typeof setTimeout> | undefined;

  /** Opens the private channel; the kind then starts its worker and calls `handOver`. */
  protected constructor(
    init: InitMessage,
    events: WorkerEvents,
    registry: WorkerRegistry,
    sandbox: Sandbox,
  ) {
    super(init, events, registry, sandbox);
    const { port1, port2 } = new NodeMessageChannel() as unknown as MessageChannel;
    this.#port = port1;
    this.#workerEnd = port2;
    port1.addEventListener("close", () => this.#closed());
    port1.onmessage = (event: MessageEvent<WorkerToHost>) => this.heard(event.data);
    port1.onmessageerror = () => {
      this.kill({ name: "Error", message: "a message from the worker could not be read" });
    };
  }

  /** Resolves after `terminate`: true when the thread did not end in time (stuck). */
  get ended(): Promise<boolean> {
    return this.#verdict.promise;
  }

  /** Sends `init` with the worker's end of the private channel, by `post`; lists the worker. */
  protected handOver(
    init: InitMessage,
    post: (init: InitMessage, transfer: Transferable[]) => void,
  ) {
    post(init, [this.#workerEnd]);
    this.listed();
  }

  /** Sends a message through the private channel. */
  protected send(message: HostToWorker): void {
    this.#port.postMessage(message);
  }

  /** Terminates the worker's thread (Deno's `terminate()`). */
  protected abstract terminateThread(): void;

  /** What is reported when the thread ends without an error event. */
  protected endedByItself(): ErrorInfo {
    return { name: "Error", message: "its thread ended by itself (close() or Deno.exit())" };
  }

  /** Terminates the thread, then waits for its port to close (see the module's doc). */
  protected end(): void {
    this.terminateThread();
    if (this.#threadEnded) return;
    if (!this.registry.threadEndsObservable) {
      this.#verdict.resolve(false); // the port's close cannot be seen: no verdict
      return;
    }
    // One more turn after the delay: a close that came while this thread was busy is read first.
    this.#judge = setTimeout(() => setTimeout(() => this.#stuckNow(), 0), STUCK_AFTER_MS);
    Deno.unrefTimer(this.#judge);
  }

  #closed(): void {
    if (this.#threadEnded) return;
    this.#threadEnded = true;
    clearTimeout(this.#judge);
    if (this.alive) {
      const timer = setTimeout(() => this.kill(this.endedByItself()), CAUSE_MS);
      Deno.unrefTimer(timer);
    }
    if (this.#stuck !== null) {
      this.registry.cleared(this.#stuck);
      log().info("{worker}: its thread has ended after all; no longer counted as stuck", {
        worker: this.label,
      });
    }
    this.#verdict.resolve(false);
  }

  #stuckNow(): void {
    if (this.#threadEnded) return;
    log().warn(
      "{worker} was terminated but its thread has not ended within {ms} ms: it is stuck in " +
        "synchronous code, which Deno cannot interrupt, and may keep a CPU core busy until " +
        "the host restarts (core.psx lists it; it counts against --max-stuck)",
      { worker: this.label, ms: STUCK_AFTER_MS },
    );
    this.#stuck = this.registry.noteStuck(this.label, this.role);
    this.#verdict.resolve(true);
  }
}
