/**
 * One `singleton=cluster` task on this host: its lease keeper (the task's
 * workers run only while this host holds the lease, and are stopped before
 * the lease can pass to another host) and, for a scheduled task, its fire loop
 * (each fire of the fleet's schedule claimed under the lease's fencing token,
 * run once on one worker, and recorded). The keeper's replies set this host's
 * estimate of the database's clock, on which the fire times are.
 *
 * @module
 */

import { log } from "../base/log.ts";
import { DbClock, observedLeaseOps } from "../cluster/db_clock.ts";
import { FireLoop } from "../cluster/fire_loop.ts";
import { fleetFireTimes } from "../cluster/fire_times.ts";
import {
  type KeeperStatus,
  LeaseKeeper,
  type LoseReason,
  systemKeeperClock,
} from "../cluster/lease_keeper.ts";
import type { ClusterStore } from "../cluster/store.ts";
import type { FleetTaskSpec } from "../config/fleet_keys.ts";
import type { TaskSupervisor } from "../tasks/supervisor.ts";
import { quoteValue } from "../shared/quote.ts";

/** What a singleton counts, for `/metrics`. */
export interface SingletonCounts {
  /** Fires run and recorded done. */
  done: number;
  /** Fires run that failed. */
  failed: number;
  /** Fires whose end could not be recorded (the lease was lost meanwhile). */
  unrecorded: number;
  /** Fires found taken by another holder. */
  taken: number;
  /** Claims refused by fencing (a newer holder exists). */
  fenced: number;
  /** Times this host took the lease. */
  holds: number;
}

/** What a singleton needs of the host. */
export interface SingletonHost {
  /** The supervisor of task `name` now (a reload may replace it). */
  supervisor(name: string): TaskSupervisor | undefined;
  /** How long a stop waits for a function to end, ms. */
  readonly graceMs: number;
}

/** One singleton task on this host. */
export class Singleton {
  /** The task's name (the lease's name). */
  readonly task: string;
  /** Its fleet keys. */
  readonly spec: FleetTaskSpec;
  /** Its schedule's text (null: not scheduled), to tell a changed task at a reload. */
  readonly scheduleText: string | null;
  /** Its counts. */
  readonly counts: SingletonCounts = {
    done: 0,
    failed: 0,
    unrecorded: 0,
    taken: 0,
    fenced: 0,
    holds: 0,
  };
  #keeper: LeaseKeeper;
  #loop: FireLoop | null;
  #host: SingletonHost;
  #stopMarginMs: number;

  /** A singleton in standby; {@link start} makes its first try for the lease. */
  constructor(store: ClusterStore, node: string, supervisor: TaskSupervisor, host: SingletonHost) {
    const task = supervisor.task;
    this.task = task.name;
    this.spec = task.fleet!;
    this.scheduleText = task.schedule?.text ?? null;
    this.#host = host;
    const leaseMs = this.spec.leaseMs;
    this.#stopMarginMs = Math.min(leaseMs / 5, 2_000);
    const clock = new DbClock();
    const raw = store.leaseOps(task.name, leaseMs);
    const ops = observedLeaseOps(raw, clock);
    const name = quoteValue(task.name);
    this.#loop = task.schedule === null ? null : new FireLoop({
      clock: systemKeeperClock,
      dbNow: () => clock.now(),
      fires: store.fires,
      holding: () => this.#keeper.holding(),
      run: async (fireAt, catchUp) => {
        const schedule = this.#host.supervisor(this.task)?.schedule;
        if (!schedule) return { ok: false, error: "the task has no schedule" };
        const at = new Date(fireAt).toISOString();
        if (catchUp) {
          log(this.task).info(
            "fire of {at} missed while no host ran the task: run now (catchup={mode})",
            {
              at,
              mode: this.spec.catchUp,
            },
          );
        } else log(this.task).debug("fire of {at}", { at });
        return await schedule.fire();
      },
      onEvent: (event) => {
        if (event.kind === "ran") {
          if (!event.recorded) this.counts.unrecorded++;
          else if (event.outcome.ok) this.counts.done++;
          else this.counts.failed++;
          if (!event.outcome.ok) {
            log(this.task).error("fire of {at} failed: {error}", {
              at: new Date(event.fireAt).toISOString(),
              error: event.outcome.error,
            });
          }
        } else if (event.kind === "taken") this.counts.taken++;
        else if (event.kind === "fenced") {
          this.counts.fenced++;
          log(this.task).warn("fire of {at} refused: a newer holder has the lease (fencing)", {
            at: new Date(event.fireAt).toISOString(),
          });
        }
      },
    }, {
      task: task.name,
      node,
      times: fleetFireTimes(task.schedule),
      catchUp: { mode: this.spec.catchUp, windowMs: this.spec.catchUpWindowMs },
    });
    this.#keeper = new LeaseKeeper(systemKeeperClock, ops, {
      onHold: (token) => {
        this.counts.holds++;
        log(this.task).info("task {task}: this node holds the lease (token {token}); starting", {
          task: name,
          token,
        });
        this.#host.supervisor(this.task)?.start();
        void this.#loop?.start(token);
      },
      onLose: (token, reason) => this.#lost(token, reason),
    }, { leaseMs, stopMarginMs: this.#stopMarginMs });
  }

  async #lost(token: number, reason: LoseReason): Promise<void> {
    this.#loop?.stop();
    const why = reason === "refused"
      ? "the database refused the renewal (another node holds it)"
      : reason === "deadline"
      ? "it could not be renewed in time"
      : "this host stops";
    const line = "task {task}: lease lost (token {token}): {why}; stopping its workers";
    if (reason === "stopped") {
      log(this.task).info(line, { task: quoteValue(this.task), token, why });
    } else log(this.task).warn(line, { task: quoteValue(this.task), token, why });
    const supervisor = this.#host.supervisor(this.task);
    if (supervisor === undefined) return;
    supervisor.schedule?.halt();
    // The workers must be gone before the lease can pass: half the margin for their grace.
    await supervisor.stop(Math.min(this.#host.graceMs, this.#stopMarginMs / 2));
  }

  /** Makes the first try for the lease. */
  start(): void {
    this.#keeper.start();
  }

  /** Tries at once when standing by (a release was announced). */
  poke(): void {
    this.#keeper.poke();
  }

  /** The keeper as views show it. */
  status(): KeeperStatus {
    return this.#keeper.status();
  }

  /** True while this host holds the lease (by its local deadline). */
  get holding(): boolean {
    return this.#keeper.holding() !== null;
  }

  /** Starts the task's (new) supervisor when the lease is held: after a reload replaced it. */
  resync(): void {
    const supervisor = this.#host.supervisor(this.task);
    if (this.holding && supervisor !== undefined && supervisor.state === "stopped") {
      supervisor.start();
    }
  }

  /** Stops for good: the workers stop and the lease is released for another host. */
  async stop(): Promise<void> {
    this.#loop?.stop();
    await this.#keeper.stop();
  }
}
