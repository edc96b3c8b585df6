/**
 * Whether a UDP task (`sockaddr=`) has bound its socket: start-up waits for
 * the first bind, and a first bind that fails stops start-up; a later one
 * that fails (after a restart) is an ending like any other.
 *
 * @module
 */

import type { ExecTask } from "../config/exec_spec.ts";

/** The binding state of one task; a task without `sockaddr` counts as bound. */
export class UdpBinding {
  #bound = Promise.withResolvers<void>();
  #everBound = false;
  #address: string | undefined;

  /** Follows the binding of `task`. */
  constructor(task: ExecTask) {
    this.#address = task.sockaddr?.text;
    if (task.sockaddr === null) this.#bound.resolve();
    this.#bound.promise.catch(() => {}); // observed by `bound` callers only
  }

  /** Resolves once the socket is bound; rejects with the first bind error. */
  get bound(): Promise<void> {
    return this.#bound.promise;
  }

  /** The worker bound its socket. */
  succeeded(): void {
    this.#everBound = true;
    this.#bound.resolve();
  }

  /**
   * The worker could not bind. True when this is the first bind at start-up
   * (start-up then fails with the error); false for a later one.
   */
  failed(message: string): boolean {
    if (this.#everBound) return false;
    this.#bound.reject(new Error(`cannot bind ${this.#address}: ${message}`));
    return true;
  }
}
