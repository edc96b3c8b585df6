/**
 * Reading a submitted call's state and result (`evrexec.result ID
 * [WAIT_MS]`), waiting for it to finish when asked: woken by the `done`
 * notification of its id, with polling as the fallback (notifications are
 * lost while the listening connection is down, or absent behind PgBouncer).
 *
 * @module
 */

import type { ClusterDb } from "./db.ts";
import { epochMs } from "./sql_time.ts";
import type { SchemaNames } from "./schema_name.ts";
import type { ClusterNotifications } from "./notifications.ts";

/** The states of a submitted call. */
export type JobState = "queued" | "running" | "done" | "failed";

/** A submitted call as `evrexec.result` shows it. */
export interface JobResult {
  /** The job id. */
  readonly id: number;
  /** The function. */
  readonly fn: string;
  /** queued, running, done or failed. */
  readonly state: JobState;
  /** Runs begun (more than 1 when a holder vanished mid-run). */
  readonly attempts: number;
  /** The node that runs or ran it (null while queued). */
  readonly node: string | null;
  /** The JSON text of the return value, once done. */
  readonly json: string | null;
  /** The error, once failed. */
  readonly error: string | null;
  /** Ms since the epoch on the database's clock. */
  readonly submittedAt: number;
  /** Ms since the epoch on the database's clock, once finished. */
  readonly finishedAt: number | null;
}

/** The longest wait one call may ask for, ms. */
export const MAX_RESULT_WAIT_MS = 600_000;

/** Options of {@link JobResults.wait}. */
export interface WaitOptions {
  /** Poll interval while notifications are down or absent, ms (default 500). */
  readonly pollMs?: number;
  /** Poll interval while notifications are up, as a safety net, ms (default 5,000). */
  readonly listeningPollMs?: number;
}

/** Reads results of the jobs table of one schema. */
export class JobResults {
  #db: ClusterDb;
  #s: string;
  #notifications: ClusterNotifications | null;

  /** Reads through `db`; waits are woken by `notifications` when given. */
  constructor(db: ClusterDb, names: SchemaNames, notifications: ClusterNotifications | null) {
    this.#db = db;
    this.#s = names.quoted;
    this.#notifications = notifications;
  }

  /** The call `id` now, or null when there is none (never submitted, or pruned). */
  async read(id: number): Promise<JobResult | null> {
    const rows = await this.#db.run(
      "read job",
      `SELECT id, fn, state, attempts, holder, result, error, ${epochMs("submitted_at")} AS sub,
         ${epochMs("finished_at")} AS fin
       FROM ${this.#s}.jobs WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    if (row === undefined) return null;
    return {
      id: Number(row.id),
      fn: String(row.fn),
      state: row.state as JobState,
      attempts: Number(row.attempts),
      node: row.holder === null ? null : String(row.holder),
      json: row.result === null ? null : String(row.result),
      error: row.error === null ? null : String(row.error),
      submittedAt: Number(row.sub),
      finishedAt: row.fin === null ? null : Number(row.fin),
    };
  }

  /**
   * The call `id` once it finished, or as it is after `waitMs` (capped at
   * {@link MAX_RESULT_WAIT_MS}); null when there is none.
   */
  async wait(id: number, waitMs: number, options: WaitOptions = {}): Promise<JobResult | null> {
    const end = performance.now() + Math.min(Math.max(0, waitMs), MAX_RESULT_WAIT_MS);
    while (true) {
      const job = await this.read(id);
      const left = end - performance.now();
      if (job === null || job.state === "done" || job.state === "failed" || left <= 0) return job;
      const listening = this.#notifications?.listening ?? false;
      const poll = listening ? (options.listeningPollMs ?? 5_000) : (options.pollMs ?? 500);
      await this.#wake(id, Math.min(left, poll));
    }
  }

  /** Resolves after `ms`, or earlier when `id` is announced done or the listener reconnects. */
  #wake(id: number, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const text = String(id);
      const offs: (() => void)[] = [];
      const done = () => {
        clearTimeout(timer);
        for (const off of offs) off();
        resolve();
      };
      const timer = setTimeout(done, ms);
      const n = this.#notifications;
      if (n !== null) {
        offs.push(n.on("done", (payload) => payload === text && done()));
        offs.push(n.onReconnect(done));
      }
    });
  }
}
