/**
 * A simulated fleet host for the load figures: the store's building blocks
 * driven the way the host will drive them (node heartbeat, a lease keeper
 * and a `FireLoop` per singleton task, a job poller woken by LISTEN/NOTIFY),
 * with functions that do nothing, so that what is measured is the database
 * traffic of the fleet machinery alone.
 *
 * @module
 */

import { DbClock, observedLeaseOps } from "../../src/cluster/db_clock.ts";
import { FireLoop } from "../../src/cluster/fire_loop.ts";
import { everyFireTimes, type FireTimes } from "../../src/cluster/fire_times.ts";
import { LeaseKeeper, systemKeeperClock } from "../../src/cluster/lease_keeper.ts";
import { nodeIdentity } from "../../src/cluster/node_identity.ts";
import type { NodeIdentity } from "../../src/cluster/nodes.ts";
import { type ClusterStore, openClusterStore } from "../../src/cluster/store.ts";

/** The intervals the figures are measured at (the defaults proposed for the host). */
export interface SimTiming {
  /** Node heartbeat, ms. */
  readonly heartbeatMs: number;
  /** Node registration lifetime, ms. */
  readonly nodeTtlMs: number;
  /** Singleton lease, ms (renewed every third). */
  readonly leaseMs: number;
  /** Job poll when no notification comes, ms. */
  readonly pollMs: number;
  /** Every how many polls the expired jobs are reaped. */
  readonly reapEvery: number;
  /** A job attempt's lease, ms. */
  readonly jobLeaseMs: number;
}

/** The defaults proposed for the host. */
export const DEFAULT_TIMING: SimTiming = {
  heartbeatMs: 2_000,
  nodeTtlMs: 10_000,
  leaseMs: 10_000,
  pollMs: 2_000,
  reapEvery: 5,
  jobLeaseMs: 10_000,
};

/** What a simulated host counted. */
export interface SimCounts {
  fires: number;
  taken: number;
  fenced: number;
  jobs: number;
  holds: number;
}

/** One simulated host. */
export class SimHost {
  readonly counts: SimCounts = { fires: 0, taken: 0, fenced: 0, jobs: 0, holds: 0 };
  readonly identity: NodeIdentity;
  #store: ClusterStore;
  #timing: SimTiming;
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #keepers: LeaseKeeper[] = [];
  #loops: FireLoop[] = [];
  #stopped = false;
  #polling = false;
  #polls = 0;
  #offs: (() => void)[] = [];
  /** Job ids this host completed (to check "answered once"). */
  readonly completed: number[] = [];

  private constructor(store: ClusterStore, name: string, timing: SimTiming) {
    this.#store = store;
    this.identity = nodeIdentity(name, "bench");
    this.#timing = timing;
  }

  /** Opens the store of a host named `name` on `url` (schema `schema`). */
  static async open(url: string, schema: string, name: string, timing = DEFAULT_TIMING) {
    const store = await openClusterStore({ url, schema, node: name, maxConnections: 2 });
    return new SimHost(store, name, timing);
  }

  /** Statements this host sent. */
  get queries(): number {
    return this.#store.db.counts.queries;
  }

  /** The store, for the bench's own reads. */
  get store(): ClusterStore {
    return this.#store;
  }

  #later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#stopped) fn();
    }, Math.max(0, ms));
    this.#timers.add(timer);
  }

  /** Registers, starts the heartbeat and the job poller, and a keeper per task. */
  async start(tasks: { name: string; everyMs: number }[], runJobs: boolean): Promise<void> {
    const registered = await this.#store.nodes.register(this.identity, this.#timing.nodeTtlMs);
    if (!registered.ok) throw new Error(`node ${this.identity.name} is taken`);
    const beat = () => {
      this.#store.nodes.heartbeat(this.identity, this.#timing.nodeTtlMs).catch(() => false)
        .finally(() => this.#later(beat, this.#timing.heartbeatMs));
    };
    this.#later(beat, this.#timing.heartbeatMs);
    for (const task of tasks) this.#singleton(task.name, everyFireTimes(task.everyMs));
    if (runJobs) {
      const n = this.#store.notifications;
      if (n !== null) this.#offs.push(n.on("jobs", () => this.#poll()));
      const tick = () => {
        this.#poll();
        this.#later(tick, this.#timing.pollMs);
      };
      this.#later(tick, this.#timing.pollMs);
    }
  }

  #singleton(task: string, times: FireTimes): void {
    const clock = new DbClock();
    const raw = this.#store.leaseOps(task, this.#timing.leaseMs);
    // The replies' dbNow set the estimate of the database's clock.
    const ops = observedLeaseOps(raw, clock);
    const loop: FireLoop = new FireLoop({
      clock: systemKeeperClock,
      dbNow: () => clock.now(),
      fires: this.#store.fires,
      holding: () => keeper.holding(),
      run: () => Promise.resolve({ ok: true }),
      onEvent: (event) => {
        if (event.kind === "ran") this.counts.fires++;
        else if (event.kind === "taken") this.counts.taken++;
        else if (event.kind === "fenced") this.counts.fenced++;
      },
    }, { task, node: this.identity.name, times, catchUp: { mode: "skip", windowMs: 0 } });
    const keeper: LeaseKeeper = new LeaseKeeper(systemKeeperClock, ops, {
      onHold: (token) => {
        this.counts.holds++;
        void loop.start(token);
      },
      onLose: () => loop.stop(),
    }, { leaseMs: this.#timing.leaseMs });
    this.#keepers.push(keeper);
    this.#loops.push(loop);
    const n = this.#store.notifications;
    if (n !== null) this.#offs.push(n.on("leases", (name) => name === task && keeper.poke()));
    keeper.start();
  }

  #poll(): void {
    if (this.#polling || this.#stopped) return;
    this.#polling = true;
    void (async () => {
      try {
        if (++this.#polls % this.#timing.reapEvery === 0) await this.#store.jobs.reap();
        while (!this.#stopped) {
          const [job] = await this.#store.jobs.claim(
            this.identity.name,
            1,
            this.#timing.jobLeaseMs,
          );
          if (job === undefined) break;
          const ok = await this.#store.jobs.complete(job.id, job.token, {
            ok: true,
            json: job.data,
          });
          if (ok) {
            this.counts.jobs++;
            this.completed.push(job.id);
          }
        }
      } catch {
        /* the next poll tries again */
      } finally {
        this.#polling = false;
      }
    })();
  }

  /** Stops everything, releases its leases, leaves the registry, closes the store. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    for (const off of this.#offs) off();
    for (const loop of this.#loops) loop.stop();
    await Promise.all(this.#keepers.map((keeper) => keeper.stop()));
    await this.#store.nodes.leave(this.identity).catch(() => {});
    await this.#store.close();
  }
}
