/**
 * Leases: who in the fleet holds a named singleton (a task that runs on one
 * host at a time), and until when. A lease is a row; its expiry is computed
 * on the database's clock, so the hosts' clocks do not matter. Each
 * acquisition draws a fencing token from one sequence: a newer holder always
 * has a greater token, and every write of a holder is checked against it.
 *
 * @module
 */

import type { ClusterDb } from "./db.ts";
import { epochMs, msUntil, nowPlus } from "./sql_time.ts";
import type { SchemaNames } from "./schema_name.ts";

/** The outcome of {@link LeaseTable.acquire}. */
export type Acquisition =
  | {
    readonly acquired: true;
    /** The fencing token of this holding. */
    readonly token: number;
    /** The database's clock when it was taken, ms since the epoch. */
    readonly dbNow: number;
  }
  | {
    readonly acquired: false;
    /** The live holder (null when unknown: taken by a start that raced this one). */
    readonly holder: string | null;
    /** When the holder's lease runs out unless renewed, ms from now (on the database's clock). */
    readonly remainingMs: number;
    /** The database's clock, ms since the epoch. */
    readonly dbNow: number;
  };

/** The outcome of {@link LeaseTable.renew}. */
export type Renewal =
  | { readonly renewed: true; readonly dbNow: number }
  | { readonly renewed: false };

/** A lease as the cluster view shows it. */
export interface LeaseRow {
  /** The lease (a task) name. */
  readonly name: string;
  /** The node that holds or held it. */
  readonly holder: string;
  /** The token of that holding. */
  readonly token: number;
  /** Ms until it runs out (negative: it ran out that long ago). */
  readonly remainingMs: number;
  /** True while it has not run out. */
  readonly live: boolean;
}

/** The leases table of one schema. */
export class LeaseTable {
  #db: ClusterDb;
  #names: SchemaNames;

  /** Works on the schema `names` through `db`. */
  constructor(db: ClusterDb, names: SchemaNames) {
    this.#db = db;
    this.#names = names;
  }

  /**
   * Takes lease `name` for `node` for `leaseMs`, if nobody holds it or its
   * holder's lease ran out (a holder renews, it does not re-acquire).
   */
  async acquire(name: string, node: string, leaseMs: number): Promise<Acquisition> {
    const s = this.#names.quoted;
    const rows = await this.#db.run(
      "acquire lease",
      `WITH up AS (
        INSERT INTO ${s}.leases AS l (name, holder, token, acquired_at, expires_at)
        VALUES ($1, $2, nextval('${s}.tokens'), now(), ${nowPlus(3)})
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = excluded.token,
          acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
        WHERE l.expires_at <= now()
        RETURNING token
      )
      SELECT true AS acquired, token, NULL AS holder, NULL AS left_ms, ${epochMs("now()")} AS db_now
      FROM up
      UNION ALL
      SELECT false, token, holder, ${msUntil("expires_at")}, ${epochMs("now()")}
      FROM ${s}.leases WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM up)`,
      [name, node, leaseMs],
    );
    const row = rows[0];
    if (row === undefined) {
      return { acquired: false, holder: null, remainingMs: 0, dbNow: NaN };
    }
    if (row.acquired === true) {
      return { acquired: true, token: Number(row.token), dbNow: Number(row.db_now) };
    }
    return {
      acquired: false,
      holder: String(row.holder),
      remainingMs: Math.max(0, Number(row.left_ms)),
      dbNow: Number(row.db_now),
    };
  }

  /**
   * Extends the holding `token` of lease `name` by `leaseMs` from now.
   * Refused when the lease ran out or another holder has a newer token.
   */
  async renew(name: string, token: number, leaseMs: number): Promise<Renewal> {
    const rows = await this.#db.run(
      "renew lease",
      `UPDATE ${this.#names.quoted}.leases SET expires_at = ${nowPlus(3)}
       WHERE name = $1 AND token = $2 AND expires_at > now()
       RETURNING ${epochMs("now()")} AS db_now`,
      [name, token, leaseMs],
    );
    return rows.length === 1
      ? { renewed: true, dbNow: Number(rows[0].db_now) }
      : { renewed: false };
  }

  /**
   * Gives lease `name` up at once (a normal stop, or a holder that stopped
   * its workers), so that a standby can take it without waiting for the
   * expiry; standbys are woken on the leases channel. Resolves false when
   * `token` no longer held it.
   */
  async release(name: string, token: number): Promise<boolean> {
    const rows = await this.#db.run(
      "release lease",
      `UPDATE ${this.#names.quoted}.leases SET expires_at = now()
       WHERE name = $1 AND token = $2 AND expires_at > now()
       RETURNING pg_notify($3, name)`,
      [name, token, this.#names.leasesChannel],
    );
    return rows.length === 1;
  }

  /** Every lease, by name (at most `limit`). */
  async list(limit = 1000): Promise<LeaseRow[]> {
    const rows = await this.#db.run(
      "list leases",
      `SELECT name, holder, token, ${msUntil("expires_at")} AS left_ms
       FROM ${this.#names.quoted}.leases ORDER BY name LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({
      name: String(row.name),
      holder: String(row.holder),
      token: Number(row.token),
      remainingMs: Number(row.left_ms),
      live: Number(row.left_ms) > 0,
    }));
  }
}
