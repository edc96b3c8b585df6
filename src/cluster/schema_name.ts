/**
 * The name of the PostgreSQL schema that holds the fleet's tables
 * (`--cluster-schema`, default `evrexec`): checked as a plain identifier, so it
 * can be written into SQL text (identifiers cannot be query parameters) and
 * into the names of notification channels.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";

/** The schema used when none is given. */
export const DEFAULT_SCHEMA = "evrexec";

/**
 * The longest schema name: PostgreSQL allows 63 bytes in an identifier, and
 * the channels `<schema>_jobs`, `<schema>_done`, `<schema>_leases` must fit too.
 */
export const MAX_SCHEMA_LENGTH = 40;

/** A checked schema name and the SQL-ready names built from it. */
export interface SchemaNames {
  /** The schema as given: lower-case letters, digits and `_`, starting with a letter or `_`. */
  readonly schema: string;
  /** The schema quoted for SQL text: `"evrexec"`. */
  readonly quoted: string;
  /** The channel a new or requeued job is announced on. */
  readonly jobsChannel: string;
  /** The channel a finished job's id is announced on. */
  readonly doneChannel: string;
  /** The channel a released lease's name is announced on. */
  readonly leasesChannel: string;
}

/**
 * Checks `text` as a schema name and builds the names derived from it;
 * `label` names the option in errors.
 *
 * @throws {ConfigError} when it is not a lower-case identifier of at most
 * {@link MAX_SCHEMA_LENGTH} characters, or starts with `pg_` (reserved by PostgreSQL).
 */
export function schemaNames(text: string = DEFAULT_SCHEMA, label = "cluster schema"): SchemaNames {
  const pattern = new RegExp(`^[a-z_][a-z0-9_]{0,${MAX_SCHEMA_LENGTH - 1}}$`);
  if (!pattern.test(text) || text.startsWith("pg_")) {
    throw new ConfigError(
      `${label} must be a lower-case identifier (letters, digits, _; at most ` +
        `${MAX_SCHEMA_LENGTH} characters; not starting with a digit or pg_), ` +
        `got ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
  return {
    schema: text,
    quoted: `"${text}"`,
    jobsChannel: `${text}_jobs`,
    doneChannel: `${text}_done`,
    leasesChannel: `${text}_leases`,
  };
}
