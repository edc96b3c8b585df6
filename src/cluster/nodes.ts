/**
 * The node registry: each host of the fleet registers its name at start
 * (refused while another live host has it), beats its heart while it runs, and
 * leaves at a normal stop. A node is live while its row's `expires_at` (on
 * the database's clock) lies ahead.
 *
 * @module
 */

import type { ClusterDb } from "./db.ts";
import { epochMs, msUntil, nowPlus } from "./sql_time.ts";
import type { SchemaNames } from "./schema_name.ts";

/** Who this host is in the fleet. */
export interface NodeIdentity {
  /** `--node`: unique among live nodes. */
  readonly name: string;
  /** Random per start: tells this run from a former run under the same name. */
  readonly session: string;
  /** The host's version. */
  readonly version: string;
  /** The machine's host name. */
  readonly hostname: string;
  /** The process id. */
  readonly pid: number;
}

/** The outcome of {@link NodeRegistry.register}. */
export type Registration =
  | { readonly ok: true; readonly dbNow: number }
  | {
    readonly ok: false;
    /** The live node that has the name. */
    readonly holder: { hostname: string; pid: number; lastSeenMsAgo: number };
    /** When its registration runs out if it stops beating, ms from now. */
    readonly expiresInMs: number;
  };

/** A node as the cluster view shows it. */
export interface NodeRow {
  /** `--node`. */
  readonly name: string;
  /** The host's version. */
  readonly version: string;
  /** The machine's host name. */
  readonly hostname: string;
  /** The process id. */
  readonly pid: number;
  /** Ms since the epoch, on the database's clock. */
  readonly startedAt: number;
  /** Ms since the last heartbeat. */
  readonly lastSeenMsAgo: number;
  /** True while its registration has not run out. */
  readonly live: boolean;
}

/** The longest node name. */
export const MAX_NODE_NAME = 64;

/** The nodes table of one schema. */
export class NodeRegistry {
  #db: ClusterDb;
  #s: string;

  /** Works on the schema `names` through `db`. */
  constructor(db: ClusterDb, names: SchemaNames) {
    this.#db = db;
    this.#s = names.quoted;
  }

  /**
   * Registers `node` for `ttlMs`: takes the name when it is free, when its
   * holder's registration ran out, or when this same session holds it.
   */
  async register(node: NodeIdentity, ttlMs: number): Promise<Registration> {
    const s = this.#s;
    const rows = await this.#db.run(
      "register node",
      `WITH up AS (
        INSERT INTO ${s}.nodes AS n (name, session, version, hostname, pid, expires_at)
        VALUES ($1, $2, $3, $4, $5, ${nowPlus(6)})
        ON CONFLICT (name) DO UPDATE SET session = excluded.session, version = excluded.version,
          hostname = excluded.hostname, pid = excluded.pid, started_at = now(), seen_at = now(),
          expires_at = excluded.expires_at
        WHERE n.expires_at <= now() OR n.session = excluded.session
        RETURNING 1
      )
      SELECT true AS ok, NULL AS hostname, NULL AS pid, NULL AS seen, NULL AS left_ms,
        ${epochMs("now()")} AS db_now FROM up
      UNION ALL
      SELECT false, hostname, pid, ${msUntil("seen_at")}, ${msUntil("expires_at")}, NULL
      FROM ${s}.nodes WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM up)`,
      [node.name, node.session, node.version, node.hostname, node.pid, ttlMs],
    );
    const row = rows[0];
    if (row === undefined) {
      // The name was taken by a start that committed during ours: not ours.
      return { ok: false, holder: { hostname: "?", pid: 0, lastSeenMsAgo: 0 }, expiresInMs: ttlMs };
    }
    if (row.ok === true) return { ok: true, dbNow: Number(row.db_now) };
    return {
      ok: false,
      holder: {
        hostname: String(row.hostname),
        pid: Number(row.pid),
        lastSeenMsAgo: Math.max(0, -Number(row.seen)),
      },
      expiresInMs: Math.max(0, Number(row.left_ms)),
    };
  }

  /**
   * Extends this session's registration by `ttlMs`. Resolves false when the
   * row is no longer this session's (another start took the name after this
   * one's registration ran out): the host must stop acting for the fleet.
   */
  async heartbeat(node: NodeIdentity, ttlMs: number): Promise<boolean> {
    const rows = await this.#db.run(
      "node heartbeat",
      `UPDATE ${this.#s}.nodes SET seen_at = now(), expires_at = ${nowPlus(3)}
       WHERE name = $1 AND session = $2 RETURNING 1`,
      [node.name, node.session, ttlMs],
    );
    return rows.length === 1;
  }

  /** Ends this session's registration at once (a normal stop), keeping its row for the view. */
  async leave(node: NodeIdentity): Promise<void> {
    await this.#db.run(
      "node leave",
      `UPDATE ${this.#s}.nodes SET expires_at = now() WHERE name = $1 AND session = $2`,
      [node.name, node.session],
    );
  }

  /** Every node, live or not, by name (at most `limit`). */
  async list(limit = 1000): Promise<NodeRow[]> {
    const rows = await this.#db.run(
      "list nodes",
      `SELECT name, version, hostname, pid, ${epochMs("started_at")} AS started,
        ${msUntil("seen_at")} AS seen, expires_at > now() AS live
       FROM ${this.#s}.nodes ORDER BY name LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({
      name: String(row.name),
      version: String(row.version),
      hostname: String(row.hostname),
      pid: Number(row.pid),
      startedAt: Number(row.started),
      lastSeenMsAgo: Math.max(0, -Number(row.seen)),
      live: row.live === true,
    }));
  }

  /** Deletes rows of nodes gone for longer than `olderThanMs`; resolves with how many. */
  async prune(olderThanMs: number): Promise<number> {
    const rows = await this.#db.run(
      "prune nodes",
      `DELETE FROM ${this.#s}.nodes WHERE expires_at < now() - ($1::double precision
        * interval '1 millisecond') RETURNING 1`,
      [olderThanMs],
    );
    return rows.length;
  }
}
