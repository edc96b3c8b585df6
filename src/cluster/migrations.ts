/**
 * The fleet's schema, as a list of versioned steps. A step is never changed
 * once released: a change of the schema is a new step at the end. Every
 * table lives in the schema given by `--cluster-schema`.
 *
 * @module
 */

/** One step of the schema: its version and its statements, for a quoted schema name. */
export interface Migration {
  /** 1, 2, 3 …: the schema's version once this step is applied. */
  readonly version: number;
  /** What it does, for the log. */
  readonly summary: string;
  /** The statements, run in order in one transaction. */
  statements(s: string): string[];
}

/** Every step, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    summary: "nodes, leases with fencing tokens, fires, jobs",
    statements: (s) => [
      // Fencing tokens of leases and of job attempts: one sequence, so a
      // newer token is always greater.
      `CREATE SEQUENCE ${s}.tokens AS bigint`,
      `CREATE TABLE ${s}.nodes (
        name text PRIMARY KEY,
        session uuid NOT NULL,
        version text NOT NULL,
        hostname text NOT NULL,
        pid integer NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        seen_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`,
      `CREATE TABLE ${s}.leases (
        name text PRIMARY KEY,
        holder text NOT NULL,
        token bigint NOT NULL,
        acquired_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`,
      `CREATE TABLE ${s}.fires (
        task text NOT NULL,
        fire_at timestamptz NOT NULL,
        token bigint NOT NULL,
        node text NOT NULL,
        state text NOT NULL CHECK (state IN ('running', 'done', 'failed', 'lost')),
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        error text,
        PRIMARY KEY (task, fire_at)
      )`,
      `CREATE TABLE ${s}.jobs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        fn text NOT NULL,
        data text NOT NULL,
        idem_key text UNIQUE,
        state text NOT NULL DEFAULT 'queued'
          CHECK (state IN ('queued', 'running', 'done', 'failed')),
        retry boolean NOT NULL,
        max_attempts integer NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        submitted_at timestamptz NOT NULL DEFAULT now(),
        submitted_by text NOT NULL,
        holder text,
        token bigint,
        lease_until timestamptz,
        started_at timestamptz,
        finished_at timestamptz,
        result text,
        error text
      )`,
      `CREATE INDEX jobs_queued ON ${s}.jobs (id) WHERE state = 'queued'`,
      `CREATE INDEX jobs_running ON ${s}.jobs (lease_until) WHERE state = 'running'`,
      `CREATE INDEX jobs_finished ON ${s}.jobs (finished_at) WHERE finished_at IS NOT NULL`,
    ],
  },
];

/** The schema version this code expects. */
export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1].version;
