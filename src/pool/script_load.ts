/**
 * What a pool learns of its script as its workers load it: the exported
 * functions (from the first worker that loaded it), and whether every
 * worker has loaded it.
 *
 * @module
 */

import type { ErrorInfo } from "../shared/messages.ts";

/** The script's load across a pool's workers. */
export class ScriptLoad {
  #functions: readonly string[] = [];
  #functionSet: ReadonlySet<string> = new Set();
  #everLoaded = false;
  #first = Promise.withResolvers<readonly string[]>();
  #all = Promise.withResolvers<void>();

  constructor() {
    this.#all.promise.catch(() => {}); // observed by `loadRest` callers only
  }

  /** The exported functions, known once the first worker has loaded the script. */
  get functions(): readonly string[] {
    return this.#functions;
  }

  /** True when the script exports a function called `name`. */
  exports(name: string): boolean {
    return this.#functionSet.has(name);
  }

  /** Resolves with the exported functions once a worker loaded the script; rejects with its error. */
  get first(): Promise<readonly string[]> {
    return this.#first.promise;
  }

  /** Resolves once every worker has loaded the script; rejects at the first that failed. */
  get all(): Promise<void> {
    return this.#all.promise;
  }

  /** A worker loaded the script; `everyWorker`: it was the last one to. */
  loaded(functions: readonly string[], everyWorker: boolean): void {
    if (everyWorker) this.#all.resolve();
    if (!this.#everLoaded) {
      this.#functions = functions;
      this.#functionSet = new Set(functions);
    }
    this.#everLoaded = true;
    this.#first.resolve(functions);
  }

  /**
   * A worker could not load the script. True when none ever had (the load
   * itself failed, and the pool must not start it again); else only `all`
   * fails.
   */
  failed(error: ErrorInfo): boolean {
    if (!this.#everLoaded) {
      this.#first.reject(error);
      return true;
    }
    this.#all.reject(error);
    return false;
  }
}
