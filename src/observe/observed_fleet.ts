/**
 * What `/metrics` and `/healthz` read of a host in a fleet (`--cluster`): the
 * host's fleet implements it; without `--cluster` the host has none.
 *
 * @module
 */

import type { QueueDepth } from "../cluster/cluster_view.ts";

/** One singleton task's figures. */
export interface ObservedSingleton {
  /** The task. */
  readonly task: string;
  /** True while this host holds its lease. */
  readonly holding: boolean;
  /** Its fire counts and holdings. */
  readonly counts: {
    readonly done: number;
    readonly failed: number;
    readonly unrecorded: number;
    readonly taken: number;
    readonly fenced: number;
    readonly holds: number;
  };
}

/** The parts of a host's fleet that `/metrics` and `/healthz` read. */
export interface ObservedFleet {
  /** Why the fleet makes the host unhealthy (the database is lost), or null. */
  problem(): string | null;
  /** True while the database answers. */
  readonly databaseUp: boolean;
  /** True when task `name` is a singleton this host does not hold. */
  standsBy(name: string): boolean;
  /** Every singleton task. */
  readonly singletons: readonly ObservedSingleton[];
  /** The submitted calls this host ran. */
  readonly jobs: {
    readonly running: number;
    readonly counts: {
      readonly done: number;
      readonly failed: number;
      readonly superseded: number;
    };
  };
  /** Statements sent to the database, and those that failed. */
  readonly store: { readonly db: { readonly counts: { queries: number; failures: number } } };
  /** The queue's figures as last read (null before the first read). */
  depth(): QueueDepth | null;
}
