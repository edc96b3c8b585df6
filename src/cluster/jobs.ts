/**
 * The queue of durable calls (`evrexec.submit`): a call is a row; any host
 * with a free RPC worker claims the oldest one (`FOR UPDATE SKIP LOCKED`, so
 * concurrent claimers never take the same row), holds it under a lease it
 * renews, and completes it with its result or error. Each attempt draws a
 * fencing token: once another attempt has begun, the former holder's renewal
 * and completion are refused. A call whose holder vanished is run again after
 * its lease (at-least-once), unless it was submitted with an idempotency key:
 * then it fails instead of running twice (at-most-once), and its key refuses
 * a second submit, even after completion, by answering the first id.
 *
 * @module
 */

import type { ClusterDb } from "./db.ts";
import { msUntil, nowPlus } from "./sql_time.ts";
import type { SchemaNames } from "./schema_name.ts";

/** Bounds on what a submit may store. */
export const JOB_LIMITS = {
  /** Characters of a function name. */
  fn: 256,
  /** Characters of an idempotency key. */
  key: 256,
  /** UTF-16 code units of the data (about 1 MiB). */
  data: 1 << 20,
  /** UTF-16 code units of a result's JSON text or of an error. */
  result: 1 << 20,
} as const;

/** Attempts of a call without an idempotency key whose holders vanish, before it fails. */
export const DEFAULT_MAX_ATTEMPTS = 3;
/** The most attempts a submit may ask for. */
export const MAX_ATTEMPTS = 100;

/** A call to submit. */
export interface JobRequest {
  /** The exported function to run. */
  readonly fn: string;
  /** Its data argument (`""` when none). */
  readonly data: string;
  /** An idempotency key: at most one job per key, run at most once. */
  readonly key?: string;
  /** Attempts when holders vanish (ignored with a key: then 1). */
  readonly maxAttempts?: number;
}

/** A claimed call, to run. */
export interface ClaimedJob {
  /** The job id. */
  readonly id: number;
  /** The function to run. */
  readonly fn: string;
  /** Its data argument. */
  readonly data: string;
  /** This attempt's fencing token: renewals and the completion carry it. */
  readonly token: number;
  /** 1 for the first run, 2 for a run again after a holder vanished … */
  readonly attempt: number;
}

/** How a run ended: a JSON text of the function's return value, or an error message. */
export type JobOutcome = { readonly ok: true; readonly json: string } | {
  readonly ok: false;
  readonly error: string;
};

/**
 * Checks a submit against {@link JOB_LIMITS}: a message saying what is too
 * long, or null when it fits.
 */
export function jobRequestProblem(request: JobRequest): string | null {
  if (request.fn.length === 0 || request.fn.length > JOB_LIMITS.fn) {
    return `the function name must have 1 to ${JOB_LIMITS.fn} characters`;
  }
  if (
    request.key !== undefined && (request.key.length === 0 || request.key.length > JOB_LIMITS.key)
  ) {
    return `the idempotency key must have 1 to ${JOB_LIMITS.key} characters`;
  }
  if (request.data.length > JOB_LIMITS.data) {
    return `the data has ${request.data.length} characters, more than the ${JOB_LIMITS.data} kept`;
  }
  return null;
}

/** The jobs table of one schema: submit, claim, renew, complete, reap. */
export class JobQueue {
  #db: ClusterDb;
  #names: SchemaNames;

  /** Works on the schema `names` through `db`. */
  constructor(db: ClusterDb, names: SchemaNames) {
    this.#db = db;
    this.#names = names;
  }

  /**
   * Queues `request` from `node` and wakes idle hosts. Resolves with its id;
   * `created` is false when its idempotency key was used before (the id is
   * that first job's, whatever became of it).
   *
   * @throws {RangeError} when the request is over {@link JOB_LIMITS}.
   */
  async submit(request: JobRequest, node: string): Promise<{ id: number; created: boolean }> {
    const problem = jobRequestProblem(request);
    if (problem !== null) throw new RangeError(problem);
    const s = this.#names.quoted;
    const key = request.key ?? null;
    const attempts = key === null ? (request.maxAttempts ?? DEFAULT_MAX_ATTEMPTS) : 1;
    // A submit racing another with the same key may not see its row in this
    // statement's snapshot: the next try does.
    for (let tries = 0; tries < 3; tries++) {
      const rows = await this.#db.run(
        "submit job",
        `WITH ins AS (
          INSERT INTO ${s}.jobs (fn, data, idem_key, retry, max_attempts, submitted_by)
          VALUES ($1, $2, $3, $3::text IS NULL, $4, $5)
          ON CONFLICT (idem_key) DO NOTHING
          RETURNING id, pg_notify($6, '')
        )
        SELECT id, true AS created FROM ins
        UNION ALL
        SELECT id, false FROM ${s}.jobs WHERE idem_key = $3 AND NOT EXISTS (SELECT 1 FROM ins)`,
        [
          request.fn,
          request.data,
          key,
          Math.min(Math.max(1, Math.floor(attempts) || 1), MAX_ATTEMPTS),
          node,
          this.#names.jobsChannel,
        ],
      );
      if (rows.length === 1) return { id: Number(rows[0].id), created: rows[0].created === true };
    }
    throw new Error(`submit: the job with key ${JSON.stringify(key)} was not found`);
  }

  /**
   * Claims up to `limit` calls for `node` under a lease of `leaseMs`: the
   * oldest queued ones, and ones whose holder's lease ran out and that may
   * run again. Rows another claimer has locked are skipped, never waited for.
   */
  async claim(node: string, limit: number, leaseMs: number): Promise<ClaimedJob[]> {
    const s = this.#names.quoted;
    const rows = await this.#db.run(
      "claim jobs",
      `WITH next AS (
        SELECT id FROM ${s}.jobs
        WHERE state = 'queued'
          OR (state = 'running' AND lease_until < now() AND retry AND attempts < max_attempts)
        ORDER BY id LIMIT $2
        FOR UPDATE SKIP LOCKED
      )
      UPDATE ${s}.jobs j SET state = 'running', holder = $1, token = nextval('${s}.tokens'),
        attempts = j.attempts + 1, lease_until = ${nowPlus(3)}, started_at = now()
      FROM next WHERE j.id = next.id
      RETURNING j.id, j.fn, j.data, j.token, j.attempts`,
      [node, limit, leaseMs],
    );
    return rows.map((row) => ({
      id: Number(row.id),
      fn: String(row.fn),
      data: String(row.data),
      token: Number(row.token),
      attempt: Number(row.attempts),
    })).sort((a, b) => a.id - b.id);
  }

  /**
   * Extends the leases of `held` attempts (one statement for all of them) by
   * `leaseMs`. Resolves with the ids still held; an attempt missing from it
   * was superseded (its run will be refused at completion).
   */
  async renew(
    held: readonly { id: number; token: number }[],
    leaseMs: number,
  ): Promise<Set<number>> {
    if (held.length === 0) return new Set();
    const rows = await this.#db.run(
      "renew jobs",
      `UPDATE ${this.#names.quoted}.jobs j SET lease_until = ${nowPlus(3)}
       FROM unnest($1::bigint[], $2::bigint[]) AS h(id, token)
       WHERE j.id = h.id AND j.token = h.token AND j.state = 'running'
       RETURNING j.id`,
      [held.map((job) => job.id), held.map((job) => job.token), leaseMs],
    );
    return new Set(rows.map((row) => Number(row.id)));
  }

  /**
   * Stores how attempt `token` of job `id` ended, and wakes the waiters of
   * its result. Resolves false (nothing stored) when the attempt was
   * superseded: another attempt began, or the job was failed as lost.
   */
  async complete(id: number, token: number, outcome: JobOutcome): Promise<boolean> {
    let json = outcome.ok ? outcome.json : null;
    let error = outcome.ok ? null : outcome.error.slice(0, JOB_LIMITS.result);
    if (json !== null && json.length > JOB_LIMITS.result) {
      error = `the result has ${json.length} characters, more than the ${JOB_LIMITS.result} kept`;
      json = null;
    }
    const rows = await this.#db.run(
      "complete job",
      `UPDATE ${this.#names.quoted}.jobs SET state = $3, result = $4, error = $5,
         finished_at = now(), lease_until = NULL
       WHERE id = $1 AND token = $2 AND state = 'running'
       RETURNING pg_notify($6, id::text)`,
      [id, token, error === null ? "done" : "failed", json, error, this.#names.doneChannel],
    );
    return rows.length === 1;
  }

  /**
   * Gives the claim of attempt `token` of job `id` back to the queue, as if
   * it had never been claimed (the call did not start: the host's pool was
   * full or stopping), and wakes idle hosts. Resolves false when the attempt
   * was superseded meanwhile.
   */
  async requeue(id: number, token: number): Promise<boolean> {
    const rows = await this.#db.run(
      "requeue job",
      `UPDATE ${this.#names.quoted}.jobs SET state = 'queued', holder = NULL, lease_until = NULL,
         started_at = NULL, attempts = attempts - 1
       WHERE id = $1 AND token = $2 AND state = 'running'
       RETURNING pg_notify($3, '')`,
      [id, token, this.#names.jobsChannel],
    );
    return rows.length === 1;
  }

  /**
   * Fails the calls whose holder's lease ran out and that may not run again
   * (an idempotency key, or no attempts left), and wakes their waiters.
   * Resolves with their ids.
   */
  async reap(limit = 100): Promise<number[]> {
    const s = this.#names.quoted;
    const rows = await this.#db.run(
      "reap jobs",
      `UPDATE ${s}.jobs j SET state = 'failed', finished_at = now(), lease_until = NULL,
         error = CASE WHEN j.retry
           THEN 'lost: its host went away mid-run on each of ' || j.attempts || ' attempts'
           ELSE 'lost: its host (node ' || j.holder || ') went away mid-run; ' ||
             'a call with an idempotency key is not run again' END
       WHERE j.id IN (
         SELECT id FROM ${s}.jobs
         WHERE state = 'running' AND lease_until < now() AND NOT (retry AND attempts < max_attempts)
         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
       )
       RETURNING j.id, pg_notify($2, j.id::text)`,
      [limit, this.#names.doneChannel],
    );
    return rows.map((row) => Number(row.id)).sort((a, b) => a - b);
  }

  /** Deletes jobs finished more than `olderThanMs` ago (their keys are free again). */
  async prune(olderThanMs: number): Promise<number> {
    const rows = await this.#db.run(
      "prune jobs",
      `DELETE FROM ${this.#names.quoted}.jobs
       WHERE finished_at < now() - ($1::double precision * interval '1 millisecond') RETURNING 1`,
      [olderThanMs],
    );
    return rows.length;
  }

  /** Ms until the earliest running lease runs out (null when none runs): when to reap next. */
  async nextExpiryMs(): Promise<number | null> {
    const rows = await this.#db.run(
      "next job expiry",
      `SELECT ${msUntil("min(lease_until)")} AS left_ms FROM ${this.#names.quoted}.jobs
       WHERE state = 'running'`,
    );
    return rows[0].left_ms === null ? null : Number(rows[0].left_ms);
  }
}
