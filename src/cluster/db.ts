/**
 * The connection pool to the fleet's database (node-postgres `Pool` from npm
 * `pg`), guarded so that no connection error can crash the process (an
 * `error` event without a listener would), with every query parameterised,
 * counted, bounded in time, and its failure sorted into
 * {@link ClusterUnavailableError} or {@link ClusterQueryError}.
 *
 * Every operation of the store is one statement or one short transaction, and
 * none keeps state in the session (no session advisory lock, no named
 * prepared statement, no `SET`), so the pool may sit behind PgBouncer in
 * transaction mode.
 *
 * @module
 */

import pg from "pg";
import { clusterError } from "./cluster_error.ts";

/** One row of a result, as node-postgres returns it. */
export type Row = Record<string, unknown>;

/** A function that runs one parameterised statement and resolves with its rows. */
export type RunQuery = (text: string, values?: readonly unknown[]) => Promise<Row[]>;

/** What the store needs from a database: statements and transactions. */
export interface ClusterDb {
  /**
   * Runs one statement; `operation` names it in errors.
   *
   * @throws {ClusterUnavailableError} when the server cannot be reached.
   * @throws {ClusterQueryError} when it answers with an error.
   */
  run(operation: string, text: string, values?: readonly unknown[]): Promise<Row[]>;
  /** Runs `body` inside BEGIN … COMMIT on one connection (ROLLBACK if it throws). */
  transaction<T>(operation: string, body: (query: RunQuery) => Promise<T>): Promise<T>;
  /** Statements sent and failed so far (for metrics and the load figures). */
  readonly counts: { readonly queries: number; readonly failures: number };
}

/** Options of {@link openClusterDb}. */
export interface ClusterDbOptions {
  /** Shown in `pg_stat_activity` (`evrexec:<node>`). */
  readonly applicationName?: string;
  /** Most connections open at once (default 4). */
  readonly maxConnections?: number;
  /** How long a connection attempt may take, ms (default 5,000). */
  readonly connectTimeoutMs?: number;
  /** How long a statement may take before the client gives up on it, ms (default 5,000). */
  readonly queryTimeoutMs?: number;
  /** How long an unused connection stays open, ms (default 30,000). */
  readonly idleTimeoutMs?: number;
  /** Told of each error of an idle connection (the server went away); never throws. */
  readonly onConnectionError?: (error: Error) => void;
}

/** A {@link ClusterDb} on a pool, with `close()`. */
export interface ClusterPool extends ClusterDb {
  /** Closes every connection; later operations reject. */
  close(): Promise<void>;
}

/** Opens a pool on `url` (connections are made on first use). */
export function openClusterDb(url: string, options: ClusterDbOptions = {}): ClusterPool {
  const pool = new pg.Pool({
    connectionString: url,
    application_name: options.applicationName ?? "evrexec",
    max: options.maxConnections ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    query_timeout: options.queryTimeoutMs ?? 5_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    keepAlive: true,
  });
  const tell = (error: Error) => {
    try {
      options.onConnectionError?.(error);
    } catch { /* a listener must not take the process down */ }
  };
  // An idle connection that breaks emits "error" on the pool: without a
  // listener that event would end the process.
  pool.on("error", tell);
  const counts = { queries: 0, failures: 0 };
  let closed = false;

  async function run(operation: string, text: string, values: readonly unknown[] = []) {
    counts.queries++;
    try {
      return (await pool.query(text, values as unknown[])).rows as Row[];
    } catch (error) {
      counts.failures++;
      throw clusterError(operation, error);
    }
  }

  async function transaction<T>(operation: string, body: (query: RunQuery) => Promise<T>) {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      counts.failures++;
      throw clusterError(operation, error);
    }
    // A checked-out client has no pool listener: guard it while it is ours.
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
      tell(error);
    };
    client.on("error", onError);
    const query: RunQuery = async (text, values = []) => {
      counts.queries++;
      try {
        return (await client.query(text, values as unknown[])).rows as Row[];
      } catch (error) {
        counts.failures++;
        broken ??= error as Error;
        throw clusterError(operation, error);
      }
    };
    try {
      await query("BEGIN");
      const result = await body(query);
      await query("COMMIT");
      broken = undefined;
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw clusterError(operation, error);
    } finally {
      client.removeListener("error", onError);
      // A connection that failed is dropped rather than reused.
      client.release(broken);
    }
  }

  return {
    run,
    transaction,
    counts,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end().catch(() => {});
    },
  };
}
