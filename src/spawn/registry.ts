/**
 * One host's registry of its workers: those alive now (for the memory
 * watchdog) and those stopped while stuck in synchronous code, with the
 * bound on how many such threads the host tolerates.
 *
 * @module
 */

import type { ErrorInfo, WorkerRole } from "../shared/messages.ts";

/**
 * A worker that was stopped while stuck in synchronous code. Deno's
 * `worker.terminate()` cannot interrupt such code, so its thread may keep a
 * CPU core busy until the host restarts.
 */
export interface StuckWorker {
  /** What the worker was, e.g. `task "spin" worker 0`. */
  readonly label: string;
  /** An exec task's worker, or one of the RPC pool. */
  readonly role: WorkerRole;
  /** When it was stopped, in ms since the epoch. */
  readonly since: number;
}

/** A live worker as the registry lists it (a `WorkerHandle`): what the memory watchdog asks of it. */
export interface LiveWorker {
  /** Task (or `rpc`) and index, for messages about this worker. */
  readonly label: string;
  /** True when the worker is a thread of this process (its heap is in the host's RSS). */
  readonly inProcess: boolean;
  /** Its heap in use, in bytes; null if it does not answer within `timeoutMs`. */
  heapUsed(timeoutMs: number): Promise<number | null>;
  /** Terminates it and reports `error` to its owner as a crash. */
  kill(error: ErrorInfo): void;
}

/** Settings of a {@link WorkerRegistry}. */
export interface RegistryOptions {
  /** Stuck workers tolerated; one more calls `tooManyStuck`. */
  readonly maxStuck: number;
  /** Called (each time) once more than `maxStuck` workers are stuck; the host exits. */
  readonly tooManyStuck: (stuck: readonly StuckWorker[]) => void;
  /** Told of each worker listed as stuck (the host's trail and spans). */
  readonly onStuck?: (worker: StuckWorker) => void;
  /** The clock, in ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/** The workers of one host. */
export class WorkerRegistry {
  /** Every worker of this host that is alive now. */
  readonly live: Set<LiveWorker> = new Set();
  /** Workers stopped while stuck in synchronous code, oldest first. */
  readonly stuck: StuckWorker[] = [];
  /** Stuck workers tolerated. */
  readonly maxStuck: number;
  /**
   * Whether a thread's end can be seen (its private port closes); the
   * start-up probe sets it false if not, and no worker is then judged stuck.
   */
  threadEndsObservable = true;
  #tooManyStuck: RegistryOptions["tooManyStuck"];
  #onStuck: RegistryOptions["onStuck"];
  #now: () => number;

  /** A registry with no worker yet. */
  constructor(options: RegistryOptions) {
    this.maxStuck = options.maxStuck;
    this.#tooManyStuck = options.tooManyStuck;
    this.#onStuck = options.onStuck;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Lists a worker that was stopped while stuck; past `maxStuck`, calls
   * `tooManyStuck`. Returns the entry, for `cleared`.
   */
  noteStuck(label: string, role: WorkerRole = "exec"): StuckWorker {
    const entry = { label, role, since: this.#now() };
    this.stuck.push(entry);
    this.#onStuck?.(entry);
    if (this.stuck.length > this.maxStuck) this.#tooManyStuck(this.stuck);
    return entry;
  }

  /** The stuck workers of the RPC pool. */
  get stuckInPool(): StuckWorker[] {
    return this.stuck.filter((worker) => worker.role === "rpc");
  }

  /** Takes `entry` off the stuck list: its thread has ended after all. */
  cleared(entry: StuckWorker): void {
    const at = this.stuck.indexOf(entry);
    if (at >= 0) this.stuck.splice(at, 1);
  }
}
