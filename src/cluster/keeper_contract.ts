/**
 * What a lease keeper needs and tells: its database operations on one lease,
 * its timing, its events, its states and status.
 *
 * @module
 */

import type { Acquisition, Renewal } from "./leases.ts";

/** The keeper's database operations on its one lease (a {@link LeaseTable} bound to a name and node). */
export interface LeaseOps {
  /** Takes the lease if it is free or ran out. */
  acquire(): Promise<Acquisition>;
  /** Extends the holding `token`. */
  renew(token: number): Promise<Renewal>;
  /** Gives the holding `token` up. */
  release(token: number): Promise<boolean>;
}

/** The keeper's timing. */
export interface KeeperOptions {
  /** The lease, ms (`lease=`, default 10 s). */
  readonly leaseMs: number;
  /** How often a holder renews, ms (default a third of the lease). */
  readonly renewEveryMs?: number;
  /** How long before the lease could pass the holder gives up: the time its workers have to stop (default a fifth of the lease, at most 2 s). */
  readonly stopMarginMs?: number;
  /** The pause before trying again after a database error, ms (default a tenth of the lease, at most 1 s). */
  readonly retryMs?: number;
}

/** Why a holder stopped holding. */
export type LoseReason =
  /** The database refused a renewal: the lease ran out or another host took it. */
  | "refused"
  /** The local deadline came without a successful renewal (database unreachable, slow, or this process paused). */
  | "deadline"
  /** {@link LeaseKeeper.stop} was called (a normal stop of the host). */
  | "stopped";

/** The keeper's states: `standby` (not holding, trying), `holder`, `stopped`. */
export type KeeperState = "standby" | "holder" | "stopped";

/** What the keeper tells its owner. */
export interface KeeperEvents {
  /** The lease was taken with `token`: start the task's workers. */
  onHold(token: number): void;
  /**
   * The lease held with `token` is no longer held: stop the task's workers
   * now. A promise returned is awaited (until the workers are stopped) before
   * the lease is released and before this keeper tries for it again.
   */
  onLose(token: number, reason: LoseReason): void | Promise<void>;
}

/** The keeper as views show it. */
export interface KeeperStatus {
  /** standby, holder or stopped. */
  readonly state: KeeperState;
  /** The token held (null unless holder). */
  readonly token: number | null;
  /** Ms until the local deadline (null unless holder). */
  readonly deadlineInMs: number | null;
  /** The other holder seen at the last try (null when unknown or none). */
  readonly otherHolder: string | null;
  /** The last database error, if the last operation failed. */
  readonly lastError: string | null;
}
