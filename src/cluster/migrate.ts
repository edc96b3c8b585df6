/**
 * Creates or upgrades the fleet's schema at start: in one transaction that
 * holds a transaction-level advisory lock (released at COMMIT, so it works
 * behind PgBouncer in transaction mode too), so that hosts starting together
 * migrate once. A schema newer than this host knows is refused.
 *
 * @module
 */

import type { ClusterDb } from "./db.ts";
import { ClusterQueryError } from "./cluster_error.ts";
import { type Migration, MIGRATIONS, SCHEMA_VERSION } from "./migrations.ts";
import type { SchemaNames } from "./schema_name.ts";

/** The first key of the advisory lock that serialises migrations ("evrx"). */
const LOCK_CLASS = 0x65767278;

/** What {@link migrate} did. */
export interface MigrationOutcome {
  /** The version found (0: the schema was new). */
  readonly from: number;
  /** The version now. */
  readonly to: number;
}

/** The schema is newer than this host: an upgrade of the host is needed. */
export class SchemaTooNewError extends ClusterQueryError {
  /** Names the versions. */
  constructor(schema: string, found: number, known: number) {
    super(
      "migrate",
      new Error(
        `schema ${schema} is at version ${found}, newer than this host knows (${known}): ` +
          `upgrade this host`,
      ),
    );
    this.name = "SchemaTooNewError";
  }
}

/**
 * Brings the schema `names` to {@link SCHEMA_VERSION} (or to the last step of
 * `steps`, for tests).
 *
 * @throws {SchemaTooNewError} when the schema is newer than the steps.
 * @throws {ClusterUnavailableError} when the database cannot be reached.
 */
export async function migrate(
  db: ClusterDb,
  names: SchemaNames,
  node: string,
  steps: readonly Migration[] = MIGRATIONS,
): Promise<MigrationOutcome> {
  const s = names.quoted;
  const known = steps.length === 0 ? 0 : steps[steps.length - 1].version;
  return await db.transaction("migrate", async (query) => {
    await query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCK_CLASS, names.schema]);
    await query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await query(
      `CREATE TABLE IF NOT EXISTS ${s}.migrations (
        version integer PRIMARY KEY,
        summary text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        applied_by text NOT NULL
      )`,
    );
    const [row] = await query(`SELECT coalesce(max(version), 0) AS v FROM ${s}.migrations`);
    const from = Number(row.v);
    if (from > known) throw new SchemaTooNewError(names.schema, from, known);
    for (const step of steps) {
      if (step.version <= from) continue;
      for (const statement of step.statements(s)) await query(statement);
      await query(
        `INSERT INTO ${s}.migrations (version, summary, applied_by) VALUES ($1, $2, $3)`,
        [step.version, step.summary, node],
      );
    }
    return { from, to: Math.max(from, known) };
  });
}

export { SCHEMA_VERSION };
