/**
 * Fires of a fleet-wide schedule: one row per (task, fire time), written only
 * by the current holder of the task's lease. The claim is fenced (refused
 * unless `token` is the lease's current token and the lease has not run out,
 * with the lease row share-locked so that a takeover waits for the claim or
 * the claim sees the takeover), and conflict-free (a fire already recorded is
 * not claimed again), so each fire runs at most once in the fleet whatever
 * the hosts' clocks say. The finish is fenced the same way: a holder that
 * lost the lease cannot record its fire.
 *
 * @module
 */

import type { ClusterDb } from "./db.ts";
import { epochMs, fromEpochMs } from "./sql_time.ts";
import type { SchemaNames } from "./schema_name.ts";

/**
 * The outcome of a fire claim: `claimed` (run it), `taken` (already recorded:
 * do not run it), `fenced` (this holder's token is no longer the lease's, or
 * the lease ran out: stop).
 */
export type FireClaim = "claimed" | "taken" | "fenced";

/** How a fire ended: its function returned, or threw. */
export type FireEnd = "done" | "failed";

/** One recorded fire. */
export interface FireRow {
  /** Its time in the schedule, ms since the epoch. */
  readonly fireAt: number;
  /** The node that claimed it. */
  readonly node: string;
  /** The token it was claimed with. */
  readonly token: number;
  /** running, done, failed, or lost (its holder lost the lease mid-run). */
  readonly state: "running" | "done" | "failed" | "lost";
  /** The error of a failed or lost fire. */
  readonly error: string | null;
}

/** The longest error text kept with a fire. */
const MAX_ERROR = 2000;

/** The fires table of one schema. */
export class FireTable {
  #db: ClusterDb;
  #s: string;

  /** Works on the schema `names` through `db`. */
  constructor(db: ClusterDb, names: SchemaNames) {
    this.#db = db;
    this.#s = names.quoted;
  }

  /**
   * The SQL condition "lease $`name` is held by token $`token` and has not run
   * out", share-locked: a takeover (which updates the row) waits for the
   * statement, or the statement sees the takeover and finds no row.
   */
  #fence(name = 1, token = 3): string {
    return `SELECT 1 FROM ${this.#s}.leases
      WHERE name = $${name} AND token = $${token} AND expires_at > now() FOR SHARE`;
  }

  /** Claims the fire of `task` at `fireAt` (ms since the epoch) for `node` holding `token`. */
  async claim(task: string, fireAt: number, token: number, node: string): Promise<FireClaim> {
    const s = this.#s;
    const rows = await this.#db.run(
      "claim fire",
      `WITH fence AS (${this.#fence()}),
      ins AS (
        INSERT INTO ${s}.fires (task, fire_at, token, node, state)
        SELECT $1, ${fromEpochMs(2)}, $3, $4, 'running' FROM fence
        ON CONFLICT (task, fire_at) DO NOTHING
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM fence) AS held, (SELECT count(*) FROM ins) AS inserted`,
      [task, Math.round(fireAt), token, node],
    );
    const row = rows[0];
    if (Number(row.held) === 0) return "fenced";
    return Number(row.inserted) === 1 ? "claimed" : "taken";
  }

  /**
   * Records how the fire of `task` at `fireAt` ended. Resolves false (nothing
   * written) when `token` no longer holds the lease or did not claim the fire.
   */
  async finish(
    task: string,
    fireAt: number,
    token: number,
    end: FireEnd,
    error: string | null = null,
  ): Promise<boolean> {
    const s = this.#s;
    const rows = await this.#db.run(
      "finish fire",
      `UPDATE ${s}.fires SET state = $4, finished_at = now(), error = $5
       WHERE task = $1 AND fire_at = ${fromEpochMs(2)} AND token = $3 AND state = 'running'
         AND EXISTS (${this.#fence()})
       RETURNING 1`,
      [task, Math.round(fireAt), token, end, error === null ? null : error.slice(0, MAX_ERROR)],
    );
    return rows.length === 1;
  }

  /**
   * Marks fires of `task` still `running` under an older token than `token`
   * (their holder lost the lease mid-run) as `lost`. Fenced like a claim.
   * Resolves with how many.
   */
  async markLost(task: string, token: number): Promise<number> {
    const rows = await this.#db.run(
      "mark lost fires",
      `UPDATE ${this.#s}.fires SET state = 'lost', finished_at = now(),
         error = 'its holder lost the lease before recording the end'
       WHERE task = $1 AND state = 'running' AND token < $2 AND EXISTS (${this.#fence(1, 2)})
       RETURNING 1`,
      [task, token],
    );
    return rows.length;
  }

  /** The time of the latest recorded fire of `task` (ms since the epoch), or null. */
  async last(task: string): Promise<number | null> {
    const rows = await this.#db.run(
      "last fire",
      `SELECT ${epochMs("max(fire_at)")} AS at FROM ${this.#s}.fires WHERE task = $1`,
      [task],
    );
    return rows[0].at === null ? null : Number(rows[0].at);
  }

  /** The fires of `task` at or after `since` (ms since the epoch), oldest first, at most `limit`. */
  async list(task: string, since: number, limit = 1000): Promise<FireRow[]> {
    const rows = await this.#db.run(
      "list fires",
      `SELECT ${epochMs("fire_at")} AS at, node, token, state, error FROM ${this.#s}.fires
       WHERE task = $1 AND fire_at >= ${fromEpochMs(2)} ORDER BY fire_at LIMIT $3`,
      [task, Math.round(since), limit],
    );
    return rows.map((row) => ({
      fireAt: Number(row.at),
      node: String(row.node),
      token: Number(row.token),
      state: row.state as FireRow["state"],
      error: row.error === null ? null : String(row.error),
    }));
  }

  /** Deletes fires older than `olderThanMs` (keeping each task's latest); resolves with how many. */
  async prune(olderThanMs: number): Promise<number> {
    const s = this.#s;
    const rows = await this.#db.run(
      "prune fires",
      `DELETE FROM ${s}.fires f
       WHERE fire_at < now() - ($1::double precision * interval '1 millisecond')
         AND fire_at < (SELECT max(fire_at) FROM ${s}.fires g WHERE g.task = f.task)
       RETURNING 1`,
      [olderThanMs],
    );
    return rows.length;
  }
}
