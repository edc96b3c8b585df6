/**
 * What `evrexec.cluster` shows: the nodes, which node holds each lease and
 * until when, and the depth of the submit queue, read in one go.
 *
 * @module
 */

import type { ClusterDb } from "./db.ts";
import { type LeaseRow, LeaseTable } from "./leases.ts";
import { NodeRegistry, type NodeRow } from "./nodes.ts";
import { epochMs, msUntil } from "./sql_time.ts";
import type { SchemaNames } from "./schema_name.ts";

/** The submit queue's figures. */
export interface QueueDepth {
  /** Calls waiting for a host. */
  readonly queued: number;
  /** Calls being run. */
  readonly running: number;
  /** Running calls whose holder's lease ran out (to be run again or failed). */
  readonly expired: number;
  /** How long the oldest queued call has waited, ms (null when none waits). */
  readonly oldestQueuedMs: number | null;
}

/** The whole view. */
export interface ClusterView {
  /** The database's clock, ms since the epoch. */
  /** The database's clock, ms since the epoch. */
  readonly dbNow: number;
  /** Every node, live or not. */
  readonly nodes: NodeRow[];
  /** Every lease, and who holds it until when. */
  readonly leases: LeaseRow[];
  /** The submit queue. */
  readonly queue: QueueDepth;
}

/** Reads the queue's figures of the schema `names`. */
export async function queueDepth(db: ClusterDb, names: SchemaNames): Promise<QueueDepth> {
  const rows = await db.run(
    "queue depth",
    `SELECT count(*) FILTER (WHERE state = 'queued') AS queued,
       count(*) FILTER (WHERE state = 'running') AS running,
       count(*) FILTER (WHERE state = 'running' AND lease_until < now()) AS expired,
       -${msUntil("min(submitted_at) FILTER (WHERE state = 'queued')")} AS oldest
     FROM ${names.quoted}.jobs WHERE state IN ('queued', 'running')`,
  );
  const row = rows[0];
  return {
    queued: Number(row.queued),
    running: Number(row.running),
    expired: Number(row.expired),
    oldestQueuedMs: row.oldest === null ? null : Math.max(0, Number(row.oldest)),
  };
}

/** Reads the whole view of the schema `names` (at most `limit` nodes and leases). */
export async function clusterView(
  db: ClusterDb,
  names: SchemaNames,
  limit = 1000,
): Promise<ClusterView> {
  const [now, nodes, leases, queue] = await Promise.all([
    db.run("db time", `SELECT ${epochMs("now()")} AS now`),
    new NodeRegistry(db, names).list(limit),
    new LeaseTable(db, names).list(limit),
    queueDepth(db, names),
  ]);
  return { dbNow: Number(now[0].now), nodes, leases, queue };
}
