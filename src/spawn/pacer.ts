/**
 * Paced worker creation: `new Worker()` blocks the main thread for the
 * worker's start-up, and tearing many workers down at once starves it too,
 * so workers are created and terminated one at a time, an event-loop turn
 * apart, terminations and creations taking turns, each in the order asked for.
 *
 * @module
 */

import { errorInfo, messageOf } from "../shared/error_text.ts";
import type { ErrorInfo, InitMessage } from "../shared/messages.ts";
import { log } from "../base/log.ts";
import type { WorkerEvents, WorkerHandle, WorkerOptions } from "./handle.ts";

/**
 * Makes one worker (of the kind `options.sandbox` asks for); throws when it
 * cannot (a thread limit, a missing module).
 */
export type WorkerFactory = (
  init: InitMessage,
  events: WorkerEvents,
  options?: WorkerOptions,
) => WorkerHandle;

/** A requested worker: made, or the error that stopped `new Worker()`. */
export type Creation =
  | { readonly handle: WorkerHandle }
  | { readonly error: ErrorInfo };

/** Withdraws a request whose turn has not come yet; does nothing after. */
export type Withdraw = () => void;

/** How {@link WorkerPacer} makes workers and yields; tests pass their own. */
export interface PacerOptions {
  /** Makes a worker (a {@link WorkerHandle} listed in the host's registry). */
  readonly factory: WorkerFactory;
  /** Resolves after one turn of the event loop (default: a zero timeout). */
  readonly turn?: () => Promise<void>;
}

/** One pacer per host: supervisors, restarts, reload and the RPC pool share it. */
export class WorkerPacer {
  #factory: WorkerFactory;
  #turn: () => Promise<void>;
  #queue: { run: () => void }[] = [];
  #ends: WorkerHandle[] = [];
  #lastEnded = false;
  #draining = false;
  #closed = false;

  /** A pacer that makes workers with `options.factory`. */
  constructor(options: PacerOptions) {
    this.#factory = options.factory;
    this.#turn = options.turn ?? (() => new Promise((resolve) => setTimeout(resolve, 0)));
  }

  /** Requests not yet run. */
  get pending(): number {
    return this.#queue.length + this.#ends.length;
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
   * Queues the creation of a worker (its sandbox and slot in `options`); at
   * its turn, `done` gets the worker or the error `new Worker()` threw.
   */
  create(
    init: InitMessage,
    events: WorkerEvents,
    done: (creation: Creation) => void,
    options?: WorkerOptions,
  ): Withdraw {
    return this.schedule(() => {
      let creation: Creation;
      try {
        creation = { handle: this.#factory(init, events, options) };
      } catch (error) {
        const { name, message } = errorInfo(error);
        creation = { error: { name, message: `cannot start a worker: ${message}` } };
      }
      done(creation);
    });
  }

  /**
   * Terminates `handle` within a turn or two (ends and creations take
   * turns); the caller counts it gone already and heeds none of its events.
   */
  terminate(handle: WorkerHandle): void {
    if (this.#closed) return handle.terminate();
    this.#ends.push(handle);
    if (!this.#draining) this.#drain();
  }

  /** Terminates what waits for it now, drops every creation and takes no more (the host is stopping). */
  close(): void {
    this.#closed = true;
    this.#queue = [];
    for (const handle of this.#ends.splice(0)) handle.terminate();
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length + this.#ends.length > 0) {
        await this.#turn();
        // Ends and creations take turns: many isolates torn down at once slow
        // the next creation (and this thread) by hundreds of ms.
        const end = this.#ends.length > 0 && (this.#queue.length === 0 || !this.#lastEnded);
        this.#lastEnded = end;
        const handle = end ? this.#ends.shift() : undefined;
        const entry = handle === undefined
          ? this.#queue.shift()
          : { run: () => handle.terminate() };
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
