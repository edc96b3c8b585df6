/**
 * The cluster store: one host's handle on the fleet's database. It opens the
 * pool, creates or migrates the schema, and gives the tables' operations
 * (nodes, leases, fires, jobs, results, the view) and the wake-ups. Nothing
 * connects until {@link openClusterStore} is called: without `--cluster` the
 * host never calls it.
 *
 * @module
 */

import { type ClusterView, clusterView, type QueueDepth, queueDepth } from "./cluster_view.ts";
import { type ClusterPool, openClusterDb } from "./db.ts";
import { FireTable } from "./fires.ts";
import { JobResults } from "./job_results.ts";
import { JobQueue } from "./jobs.ts";
import type { LeaseOps } from "./lease_keeper.ts";
import { LeaseTable } from "./leases.ts";
import { migrate, type MigrationOutcome } from "./migrate.ts";
import { NodeRegistry } from "./nodes.ts";
import { ClusterNotifications } from "./notifications.ts";
import { type SchemaNames, schemaNames } from "./schema_name.ts";

/** Options of {@link openClusterStore}. */
export interface ClusterStoreOptions {
  /** `--cluster`: the `postgres://` URL. */
  readonly url: string;
  /** `--cluster-schema` (default `evrexec`). */
  readonly schema?: string;
  /** This node's name, for `application_name` and the migration record. */
  readonly node: string;
  /** Open the LISTEN connection (default true; false to rely on polling alone). */
  readonly listen?: boolean;
  /**
   * The URL of the LISTEN connection (default `url`). Behind PgBouncer in
   * transaction mode LISTEN is accepted but no notification arrives: give
   * PostgreSQL's own address here, or set `listen` false.
   */
  readonly listenUrl?: string;
  /** Pool size (default 4). */
  readonly maxConnections?: number;
  /** Client-side bound of each statement, ms (default 5,000). */
  readonly queryTimeoutMs?: number;
  /** Told of connection errors (the server went away); for the log. */
  readonly onConnectionError?: (error: Error) => void;
}

/** One host's handle on the fleet's database. */
export interface ClusterStore {
  /** The schema and channel names. */
  readonly names: SchemaNames;
  /** The pool (statements, counts). */
  readonly db: ClusterPool;
  /** What the migration at open did. */
  readonly migration: MigrationOutcome;
  /** The node registry. */
  readonly nodes: NodeRegistry;
  /** The leases. */
  readonly leases: LeaseTable;
  /** The fires of fleet-wide schedules. */
  readonly fires: FireTable;
  /** The queue of submitted calls. */
  readonly jobs: JobQueue;
  /** Results of submitted calls, with waits. */
  readonly results: JobResults;
  /** The wake-ups (null when `listen` is false). */
  readonly notifications: ClusterNotifications | null;
  /** Nodes, leases and queue, for `evrexec.cluster`. */
  view(): Promise<ClusterView>;
  /** The queue's figures, for metrics. */
  depth(): Promise<QueueDepth>;
  /** The operations a {@link LeaseKeeper} needs for lease `name` held by this node. */
  leaseOps(name: string, leaseMs: number): LeaseOps;
  /** Closes the pool and the LISTEN connection. */
  close(): Promise<void>;
}

/**
 * Opens the store: checks the schema name, connects, migrates the schema,
 * and starts listening.
 *
 * @throws {ConfigError} for a bad schema name.
 * @throws {ClusterUnavailableError} when the database cannot be reached.
 * @throws {SchemaTooNewError} when the schema is newer than this host.
 */
export async function openClusterStore(options: ClusterStoreOptions): Promise<ClusterStore> {
  const names = schemaNames(options.schema);
  const db = openClusterDb(options.url, {
    applicationName: `evrexec:${options.node}`.slice(0, 63),
    maxConnections: options.maxConnections,
    queryTimeoutMs: options.queryTimeoutMs,
    onConnectionError: options.onConnectionError,
  });
  let migration: MigrationOutcome;
  try {
    migration = await migrate(db, names, options.node);
  } catch (error) {
    await db.close();
    throw error;
  }
  const notifications = options.listen === false ? null : new ClusterNotifications(
    options.listenUrl ?? options.url,
    names,
    {
      applicationName: `evrexec-listen:${options.node}`.slice(0, 63),
      onError: options.onConnectionError,
    },
  );
  notifications?.start();
  const leases = new LeaseTable(db, names);
  return {
    names,
    db,
    migration,
    nodes: new NodeRegistry(db, names),
    leases,
    fires: new FireTable(db, names),
    jobs: new JobQueue(db, names),
    results: new JobResults(db, names, notifications),
    notifications,
    view: () => clusterView(db, names),
    depth: () => queueDepth(db, names),
    leaseOps: (name, leaseMs) => ({
      acquire: () => leases.acquire(name, options.node, leaseMs),
      renew: (token) => leases.renew(name, token, leaseMs),
      release: (token) => leases.release(name, token),
    }),
    async close() {
      await notifications?.close();
      await db.close();
    },
  };
}
