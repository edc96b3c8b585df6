/**
 * Debouncing of file changes: a burst of changes (an editor writing a
 * temporary file, then renaming it) becomes one batch, and batches never overlap.
 *
 * @module
 */

/** The timer functions a {@link ChangeDebouncer} runs on; tests pass a fake clock. */
export interface DebounceTimers {
  /** Calls `fn` once after `ms`; returns a handle for `clear`. */
  set(fn: () => void, ms: number): unknown;
  /** Cancels a timer `set` returned. */
  clear(handle: unknown): void;
}

/** The real timers, unref'd: a pending batch does not keep the process alive. */
export const REAL_TIMERS: DebounceTimers = {
  set(fn, ms) {
    const handle = setTimeout(fn, ms);
    Deno.unrefTimer(handle);
    return handle;
  },
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Collects changed paths and hands them to `flush` once no change has come
 * for `quietMs`. A flush runs alone: changes noted while it runs wait for
 * it to end, then for a quiet period, and make the next batch.
 */
export class ChangeDebouncer {
  #quietMs: number;
  #flush: (changed: string[]) => Promise<void>;
  #timers: DebounceTimers;
  #pending = new Set<string>();
  #timer: unknown = null;
  #running = false;
  #stopped = false;

  /** A debouncer that calls `flush` with each batch of changed paths, in first-noted order. */
  constructor(
    quietMs: number,
    flush: (changed: string[]) => Promise<void>,
    timers: DebounceTimers = REAL_TIMERS,
  ) {
    this.#quietMs = quietMs;
    this.#flush = flush;
    this.#timers = timers;
  }

  /** True while a flush runs. */
  get running(): boolean {
    return this.#running;
  }

  /** Paths noted and not yet handed to a flush. */
  get pending(): readonly string[] {
    return [...this.#pending];
  }

  /** Notes that `path` changed: the quiet period starts again. */
  note(path: string): void {
    if (this.#stopped) return;
    this.#pending.add(path);
    this.#arm();
  }

  /** Drops what is pending; no flush starts from now on. */
  stop(): void {
    this.#stopped = true;
    this.#pending.clear();
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    this.#timer = null;
  }

  #arm(): void {
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    this.#timer = this.#timers.set(() => this.#fire(), this.#quietMs);
  }

  #fire(): void {
    this.#timer = null;
    if (this.#running || this.#stopped || this.#pending.size === 0) return;
    const batch = [...this.#pending];
    this.#pending.clear();
    this.#running = true;
    this.#flush(batch).catch(() => {}).finally(() => {
      this.#running = false;
      if (this.#pending.size > 0 && this.#timer === null && !this.#stopped) this.#arm();
    });
  }
}
