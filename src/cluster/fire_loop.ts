/**
 * The fire loop of a fleet-wide schedule on the host that holds its lease:
 * from the last fire recorded, it runs the missed fires its catch-up rule
 * asks for, then waits for each next fire on the database's clock, claims it
 * (fenced by the lease's token), runs it once and records how it ended. It
 * stops when told (the lease was lost), when a claim is fenced, or before a
 * fire when the keeper no longer holds the lease. Fires run one after the
 * other: a run longer than the period skips the fires it overlaps.
 *
 * Its clock, its estimate of the database's clock, its table and the run
 * are parameters, so tests drive it without PostgreSQL or workers.
 *
 * @module
 */

import { type CatchUpPolicy, missedFires, nextFire } from "./catchup.ts";
import type { FireTimes } from "./fire_times.ts";
import type { FireClaim, FireEnd } from "./fires.ts";
import type { KeeperClock } from "./keeper_clock.ts";

/** Rounds of catch-up at most: fires that fell due during one round run in the next. */
const CATCHUP_ROUNDS = 3;

/** The part of the fires table the loop uses (a {@link FireTable}). */
export interface FireStore {
  /** The latest recorded fire of `task`, or null. */
  last(task: string): Promise<number | null>;
  /** Marks fires of `task` still running under older tokens as lost. */
  markLost(task: string, token: number): Promise<number>;
  /** Claims a fire (fenced by `token`). */
  claim(task: string, fireAt: number, token: number, node: string): Promise<FireClaim>;
  /** Records its end (fenced by `token`). */
  finish(
    task: string,
    fireAt: number,
    token: number,
    end: FireEnd,
    error?: string | null,
  ): Promise<boolean>;
}

/** How one run ended. */
export type RunOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** What the loop tells, for logs and metrics. */
export type FireEvent =
  | {
    readonly kind: "ran";
    readonly fireAt: number;
    readonly outcome: RunOutcome;
    readonly recorded: boolean;
    readonly catchUp: boolean;
  }
  | { readonly kind: "taken" | "fenced"; readonly fireAt: number }
  | { readonly kind: "error"; readonly fireAt: number | null; readonly error: string };

/** What the loop needs. */
export interface FireLoopDeps {
  /** Timers (and the monotonic clock). */
  readonly clock: KeeperClock;
  /** The database's time now, ms since the epoch (null while unknown). */
  dbNow(): number | null;
  /** The fires table. */
  readonly fires: FireStore;
  /** The token the lease is held with now, or null (`LeaseKeeper.holding`). */
  holding(): number | null;
  /** Runs the task's function once for the fire at `fireAt`. */
  run(fireAt: number, catchUp: boolean): Promise<RunOutcome>;
  /** Told of each fire and error; never throws into the loop. */
  onEvent?(event: FireEvent): void;
}

/** The task's schedule and rules. */
export interface FireLoopOptions {
  /** The task (the lease's name). */
  readonly task: string;
  /** This node. */
  readonly node: string;
  /** Its fire times. */
  readonly times: FireTimes;
  /** Its catch-up rule. */
  readonly catchUp: CatchUpPolicy;
  /** The pause before trying again after a database error, ms (default 500). */
  readonly retryMs?: number;
}

/** The fire loop of one task on one host. */
export class FireLoop {
  #deps: FireLoopDeps;
  #options: FireLoopOptions;
  #generation = 0;
  #timer: unknown = null;
  #wake: (() => void) | null = null;

  /** A stopped loop; {@link start} runs it for a holding. */
  constructor(deps: FireLoopDeps, options: FireLoopOptions) {
    this.#deps = deps;
    this.#options = options;
  }

  /** True while a loop runs. */
  get running(): boolean {
    return this.#generation % 2 === 1;
  }

  /** Starts the loop for the holding `token` (stopping any loop before it). */
  start(token: number): Promise<void> {
    this.stop();
    const generation = ++this.#generation;
    return this.#loop(token, () => this.#generation === generation).catch((error) =>
      this.#tell({ kind: "error", fireAt: null, error: String(error) })
    ).finally(() => {
      if (this.#generation === generation) this.#generation++;
    });
  }

  /** Stops the loop: no fire is claimed after this (a run under way is the caller's to stop). */
  stop(): void {
    if (this.running) this.#generation++;
    if (this.#timer !== null) this.#deps.clock.cancel(this.#timer);
    this.#timer = null;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #tell(event: FireEvent): void {
    try {
      this.#deps.onEvent?.(event);
    } catch { /* a listener's mistake does not stop the loop */ }
  }

  /** Resolves after `ms` or at {@link stop}. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = this.#deps.clock.setTimer(() => {
        this.#timer = null;
        this.#wake = null;
        resolve();
      }, Math.max(0, ms));
    });
  }

  /** Retries `step` after database errors while `alive`; null when it stopped. */
  async #retry<T>(step: () => Promise<T>, alive: () => boolean): Promise<T | null> {
    while (alive()) {
      try {
        return await step();
      } catch (error) {
        this.#tell({ kind: "error", fireAt: null, error: String(error) });
        await this.#sleep(this.#options.retryMs ?? 500);
      }
    }
    return null;
  }

  async #loop(token: number, alive: () => boolean): Promise<void> {
    const { task, times, catchUp } = this.#options;
    const fires = this.#deps.fires;
    const ok = await this.#retry(() => fires.markLost(task, token), alive);
    if (ok === null) return;
    let last = await this.#retry(() => fires.last(task), alive);
    if (!alive()) return;
    let now = this.#deps.dbNow();
    if (now === null) return;
    // Fires that fell due while the catch-up ran were not missed (this host ran): they run
    // too, late, in a few more rounds (bounded: runs longer than the period never end).
    for (let round = 0; round < CATCHUP_ROUNDS; round++) {
      const first = round === 0;
      const missed = missedFires(times, last, now, first ? catchUp : { ...catchUp, mode: "all" });
      if (missed.length === 0 || (!first && catchUp.mode === "skip")) break;
      for (const fireAt of missed) {
        if (!(await this.#fire(token, fireAt, first, alive))) return;
        last = fireAt;
      }
      now = this.#deps.dbNow();
      if (now === null) return;
    }
    while (alive()) {
      now = this.#deps.dbNow();
      if (now === null) return;
      const fireAt = nextFire(times, last, now);
      if (fireAt === null) return;
      // Wait on the database's clock; the estimate may move while waiting, so look again.
      while (alive() && (now = this.#deps.dbNow()) !== null && now < fireAt) {
        await this.#sleep(fireAt - now);
      }
      if (!alive() || !(await this.#fire(token, fireAt, false, alive))) return;
      last = fireAt;
    }
  }

  /** Claims, runs and records one fire; false when the loop must end. */
  async #fire(token: number, fireAt: number, catchUp: boolean, alive: () => boolean) {
    const { task, node } = this.#options;
    if (this.#deps.holding() !== token) return false;
    let claim: FireClaim;
    try {
      claim = await this.#deps.fires.claim(task, fireAt, token, node);
    } catch (error) {
      // The database is away: this fire is not run (nobody can record it); go on with the next.
      this.#tell({ kind: "error", fireAt, error: String(error) });
      return alive();
    }
    if (claim !== "claimed") {
      this.#tell({ kind: claim, fireAt });
      return claim === "taken" && alive();
    }
    let outcome: RunOutcome;
    try {
      outcome = await this.#deps.run(fireAt, catchUp);
    } catch (error) {
      outcome = { ok: false, error: String(error) };
    }
    const end: FireEnd = outcome.ok ? "done" : "failed";
    const error = outcome.ok ? null : outcome.error;
    const recorded = await this.#deps.fires.finish(task, fireAt, token, end, error).catch(() =>
      false
    );
    this.#tell({ kind: "ran", fireAt, outcome, recorded, catchUp });
    return alive();
  }
}
