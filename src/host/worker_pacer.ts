/**
 * Paced worker creation: `new Worker()` blocks the main thread for the
 * worker's start-up, so workers are created one at a time, with an
 * event-loop turn between two creations, in the order they were asked for.
 *
 * @module
 */

import { errorInfo, messageOf } from "../shared/error_text.ts";
import type { ErrorInfo, InitMessage } from "../shared/messages.ts";
import { log } from "./log.ts";
import { type WorkerEvents, WorkerHandle } from "./worker_handle.ts";

/** Makes one worker; throws when it cannot (a thread limit, a missing module). */
export type WorkerFactory = (init: InitMessage, events: WorkerEvents) => WorkerHandle;

/** A requested worker: made, or the error that stopped `new Worker()`. */
export type Creation =
  | { readonly handle: WorkerHandle }
  | { readonly error: ErrorInfo };

/** Withdraws a request whose turn has not come yet; does nothing after. */
export type Withdraw = () => void;

/** How {@link WorkerPacer} makes workers and yields; tests pass their own. */
export interface PacerOptions {
  /** Makes a worker (default: a {@link WorkerHandle}). */
  readonly factory?: WorkerFactory;
  /** Resolves after one turn of the event loop (default: a zero timeout). */
  readonly turn?: () => Promise<void>;
}

/** One pacer per host: supervisors, restarts, reload and the RPC pool share it. */
export class WorkerPacer {
  #factory: WorkerFactory;
  #turn: () => Promise<void>;
  #queue: { run: () => void }[] = [];
  #draining = false;
  #closed = false;

  /** A pacer that makes workers with `options.factory`. */
  constructor(options: PacerOptions = {}) {
    this.#factory = options.factory ?? ((init, events) => new WorkerHandle(init, events));
    this.#turn = options.turn ?? (() => new Promise((resolve) => setTimeout(resolve, 0)));
  }

  /** Requests not yet run. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Queues `job`, which creates a worker; it runs at its turn, never inside
   * this call. An exception it throws is logged, never thrown.
   */
  schedule(job: () => void): Withdraw {
    const entry = { run: job };
    if (this.#closed) return () => {};
    this.#queue.push(entry);
    if (!this.#draining) this.#drain();
    return () => {
      const at = this.#queue.indexOf(entry);
      if (at >= 0) this.#queue.splice(at, 1);
    };
  }

  /**
   * Queues the creation of a worker; at its turn, `done` gets the worker or
   * the error `new Worker()` threw.
   */
  create(init: InitMessage, events: WorkerEvents, done: (creation: Creation) => void): Withdraw {
    return this.schedule(() => {
      let creation: Creation;
      try {
        creation = { handle: this.#factory(init, events) };
      } catch (error) {
        const { name, message } = errorInfo(error);
        creation = { error: { name, message: `cannot start a worker: ${message}` } };
      }
      done(creation);
    });
  }

  /** Drops every queued request and takes no more (the host is stopping). */
  close(): void {
    this.#closed = true;
    this.#queue = [];
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        await this.#turn();
        const entry = this.#queue.shift();
        if (entry === undefined) break;
        try {
          entry.run();
        } catch (error) {
          log().error("starting a worker failed: {error}", { error: messageOf(error) });
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}
