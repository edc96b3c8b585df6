/**
 * Reloads asked for while one runs (SIGHUP, `evrexec.reload`, a save under
 * `--watch`) are coalesced into one more: it starts when the running one
 * ends, so it reads whatever changed meanwhile, and every ask made before
 * it starts shares its outcome. At most one reload runs and one waits.
 *
 * @module
 */

/** Where an ask landed: it started a reload, queued the next one, or joined the queued one. */
export type ReloadTurn = "now" | "next" | "joined";

/** One ask's place and the outcome of the reload that covers it. */
export interface ReloadTicket<T> {
  /** Whether the ask started a reload, queued the next one, or joined the queued one. */
  readonly turn: ReloadTurn;
  /** Settles with the reload that covers the ask (shared with the other asks of that reload). */
  readonly done: Promise<T>;
}

interface Queued<T> {
  readonly changed: Set<string>;
  readonly done: Promise<T>;
  readonly start: () => void;
}

/** Runs reloads one at a time; those asked for meanwhile become one more. */
export class ReloadQueue<T> {
  #run: (changed: readonly string[]) => Promise<T>;
  #running = false;
  #next: Queued<T> | null = null;

  /** `run` reloads; `changed` lists the files a `--watch` saw change (empty otherwise). */
  constructor(run: (changed: readonly string[]) => Promise<T>) {
    this.#run = run;
  }

  /** True while a reload runs. */
  get running(): boolean {
    return this.#running;
  }

  /** Asks for a reload that starts now, or after the running one. */
  ask(changed: readonly string[] = []): ReloadTicket<T> {
    if (!this.#running) return { turn: "now", done: this.#start(changed) };
    if (this.#next !== null) {
      for (const file of changed) this.#next.changed.add(file);
      return { turn: "joined", done: this.#next.done };
    }
    const files = new Set(changed);
    let start = () => {};
    const done = new Promise<T>((resolve, reject) => {
      start = () => this.#start([...files]).then(resolve, reject);
    });
    this.#next = { changed: files, done, start };
    return { turn: "next", done };
  }

  #start(changed: readonly string[]): Promise<T> {
    this.#running = true;
    const done = (async () => await this.#run(changed))();
    done.catch(() => {}).finally(() => {
      this.#running = false;
      const next = this.#next;
      this.#next = null;
      next?.start();
    });
    return done;
  }
}
