/**
 * An estimate of the database's clock on this host, from the `now()` that
 * statements return: the fleet's fire times are on the database's clock, so
 * a holder waits for a fire by it, never by its own wall clock (which may be
 * skewed or stepped). Each sample pairs the database's time with the
 * monotonic times the statement was sent and answered; the sample with the
 * shortest round trip among the recent ones is trusted, and its error is at
 * most half that round trip.
 *
 * @module
 */

import type { LeaseOps } from "./keeper_contract.ts";

/** How many recent samples are kept. */
const SAMPLES = 8;

interface Sample {
  /** Database time minus the monotonic midpoint of the round trip. */
  readonly offset: number;
  /** The round trip, ms. */
  readonly rtt: number;
}

/** The database's clock as seen from here. */
export class DbClock {
  #samples: Sample[] = [];
  #monotonic: () => number;

  /** Reads the local monotonic clock through `monotonic` (default `performance.now`). */
  constructor(monotonic: () => number = () => performance.now()) {
    this.#monotonic = monotonic;
  }

  /** Adds a sample: a statement sent at `sentMono`, answered at `receivedMono`, said `dbNow`. */
  observe(sentMono: number, receivedMono: number, dbNow: number): void {
    if (!Number.isFinite(dbNow) || receivedMono < sentMono) return;
    this.#samples.push({
      offset: dbNow - (sentMono + receivedMono) / 2,
      rtt: receivedMono - sentMono,
    });
    if (this.#samples.length > SAMPLES) this.#samples.shift();
  }

  #best(): Sample | null {
    let best: Sample | null = null;
    for (const sample of this.#samples) if (best === null || sample.rtt <= best.rtt) best = sample;
    return best;
  }

  /** The database's time now (ms since the epoch), or null before the first sample. */
  now(): number | null {
    const best = this.#best();
    return best === null ? null : this.#monotonic() + best.offset;
  }

  /** How far {@link now} may be off, ms (half the trusted round trip); null before a sample. */
  uncertaintyMs(): number | null {
    const best = this.#best();
    return best === null ? null : best.rtt / 2;
  }

  /** The local monotonic time at which the database's clock reads `dbTime`. */
  monotonicAt(dbTime: number): number | null {
    const best = this.#best();
    return best === null ? null : dbTime - best.offset;
  }
}

/**
 * The lease operations of `raw`, each reply's `dbNow` observed by `clock`
 * (with the monotonic times the statement was sent and answered), so that a
 * holder's clock follows the database's as it renews.
 *
 * @param raw The store's operations on one lease.
 * @param clock The estimate to feed.
 * @returns The same operations, observed.
 */
export function observedLeaseOps(raw: LeaseOps, clock: DbClock): LeaseOps {
  return {
    acquire: async () => {
      const sent = performance.now();
      const got = await raw.acquire();
      clock.observe(sent, performance.now(), got.dbNow);
      return got;
    },
    renew: async (token) => {
      const sent = performance.now();
      const got = await raw.renew(token);
      if (got.renewed) clock.observe(sent, performance.now(), got.dbNow);
      return got;
    },
    release: raw.release,
  };
}
