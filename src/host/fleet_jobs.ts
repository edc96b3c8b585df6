/**
 * The host's part of the fleet's durable calls (`evrexec.submit`): whenever
 * its RPC pool has a free worker, it claims queued calls (woken by the `jobs`
 * notification, else every poll), runs each on the pool as `evrexec.run`
 * would, renews the claims' leases while they run, and stores each result or
 * error, fenced by the attempt's token. Every few polls it also fails the
 * calls whose holder vanished and that may not run again.
 *
 * @module
 */

import { log } from "../base/log.ts";
import type { ClaimedJob, JobOutcome } from "../cluster/jobs.ts";
import type { ClusterStore } from "../cluster/store.ts";
import type { RpcPool } from "../pool/pool.ts";
import { PoolError } from "../pool/pool_error.ts";
import { messageOf } from "../shared/error_text.ts";
import { quoteValue } from "../shared/quote.ts";

/** What the runner counts, for `/metrics`. */
export interface JobCounts {
  /** Calls run and stored done. */
  done: number;
  /** Calls run and stored failed (the function threw, timed out, …). */
  failed: number;
  /** Calls whose result was refused: another attempt had begun (fencing). */
  superseded: number;
}

/** The runner's timing. */
export interface JobRunnerOptions {
  /** A claim's lease, ms (renewed every third). */
  readonly leaseMs: number;
  /** Poll when no notification comes, ms. */
  readonly pollMs: number;
  /** Every how many polls the expired calls are reaped. */
  readonly reapEvery?: number;
}

/** The most calls one claim takes. */
const MAX_CLAIM = 16;
/** Tries to store a result while the database is away, 1 s apart. */
const COMPLETE_TRIES = 30;

/** Claims and runs submitted calls on this host's RPC pool. */
export class JobRunner {
  /** The counts. */
  readonly counts: JobCounts = { done: 0, failed: 0, superseded: 0 };
  #store: ClusterStore;
  #node: string;
  #pool: () => RpcPool;
  #options: JobRunnerOptions;
  #held = new Map<number, number>();
  #running = new Set<Promise<void>>();
  #polling = false;
  #again = false;
  #polls = 0;
  #stopped = true;
  #pollTimer: ReturnType<typeof setTimeout> | null = null;
  #renewTimer: ReturnType<typeof setInterval> | null = null;
  #offs: (() => void)[] = [];

  /** A runner for `node`, running calls on `pool()` (the pool in service now). */
  constructor(
    store: ClusterStore,
    node: string,
    pool: () => RpcPool,
    options: JobRunnerOptions,
  ) {
    this.#store = store;
    this.#node = node;
    this.#pool = pool;
    this.#options = options;
  }

  /** Calls this host runs now. */
  get running(): number {
    return this.#held.size;
  }

  /** Starts polling and listening. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const n = this.#store.notifications;
    if (n !== null) {
      this.#offs.push(n.on("jobs", () => this.poll()));
      this.#offs.push(n.onReconnect(() => this.poll()));
    }
    this.#renewTimer = setInterval(() => this.#renew(), this.#options.leaseMs / 3);
    this.#schedulePoll(0);
  }

  #schedulePoll(ms: number): void {
    if (this.#pollTimer !== null) clearTimeout(this.#pollTimer);
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = null;
      if (this.#stopped) return;
      this.poll();
      this.#schedulePoll(this.#options.pollMs);
    }, ms);
  }

  /** Looks for calls now (a notification, a freed worker). */
  poll(): void {
    if (this.#stopped) return;
    if (this.#polling) {
      this.#again = true;
      return;
    }
    this.#polling = true;
    void this.#pollOnce().finally(() => {
      this.#polling = false;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        this.poll();
      }
    });
  }

  async #pollOnce(): Promise<void> {
    try {
      if (++this.#polls % (this.#options.reapEvery ?? 5) === 0) await this.#store.jobs.reap();
      while (!this.#stopped) {
        const free = Math.min(MAX_CLAIM, this.#pool().idle);
        if (free <= 0) return;
        const jobs = await this.#store.jobs.claim(this.#node, free, this.#options.leaseMs);
        if (this.#stopped) {
          // Claimed as the host stops: left to run again elsewhere after the lease.
          return;
        }
        for (const job of jobs) this.#run(job);
        if (jobs.length < free) return;
      }
    } catch (error) {
      log("cluster").debug("job poll failed: {error}", { error: messageOf(error) });
    }
  }

  #run(job: ClaimedJob): void {
    this.#held.set(job.id, job.token);
    const done = this.#runOne(job).finally(() => {
      this.#held.delete(job.id);
      this.#running.delete(done);
      this.poll();
    });
    this.#running.add(done);
  }

  async #runOne(job: ClaimedJob): Promise<void> {
    const pool = this.#pool();
    let outcome: JobOutcome;
    if (!pool.exports(job.fn)) {
      outcome = { ok: false, error: `unknown function ${quoteValue(job.fn)}` };
    } else {
      try {
        outcome = { ok: true, json: await pool.run(job.fn, job.data) };
      } catch (error) {
        if (error instanceof PoolError && error.kind === "busy") {
          // Not started here (the pool is full or stopping): back to the queue for any host.
          await this.#store.jobs.requeue(job.id, job.token).catch(() => false);
          return;
        }
        outcome = { ok: false, error: messageOf(error) };
      }
    }
    for (let tries = 1;; tries++) {
      try {
        const stored = await this.#store.jobs.complete(job.id, job.token, outcome);
        if (!stored) {
          this.counts.superseded++;
          log("cluster").warn(
            "submitted call {id} ({fn}): its result was refused, another attempt had begun",
            { id: job.id, fn: quoteValue(job.fn) },
          );
        } else if (outcome.ok) this.counts.done++;
        else this.counts.failed++;
        return;
      } catch (error) {
        if (tries >= COMPLETE_TRIES) {
          log("cluster").error("submitted call {id}: its result could not be stored: {error}", {
            id: job.id,
            error: messageOf(error),
          });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  #renew(): void {
    if (this.#held.size === 0) return;
    const held = [...this.#held].map(([id, token]) => ({ id, token }));
    this.#store.jobs.renew(held, this.#options.leaseMs).catch(() => {});
  }

  /** Stops claiming; waits up to `graceMs` for the calls under way to be stored. */
  async stop(graceMs: number): Promise<void> {
    this.#stopped = true;
    if (this.#pollTimer !== null) clearTimeout(this.#pollTimer);
    this.#pollTimer = null;
    for (const off of this.#offs) off();
    this.#offs = [];
    const running = Promise.all(this.#running);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([running, new Promise((r) => timer = setTimeout(r, graceMs))]);
    clearTimeout(timer);
    if (this.#renewTimer !== null) clearInterval(this.#renewTimer);
    this.#renewTimer = null;
  }
}
