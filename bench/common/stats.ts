/**
 * Small statistics over samples: min, median, max and percentiles.
 *
 * @module
 */

/** Min, median and max of a set of samples. */
export interface Spread {
  /** The smallest sample. */
  readonly min: number;
  /** The median sample (the mean of the middle two for an even count). */
  readonly median: number;
  /** The largest sample. */
  readonly max: number;
  /** Every sample, in the order taken. */
  readonly samples: readonly number[];
}

/** The value at quantile `q` (0..1) of `sorted`, by nearest rank. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The median of `values` (NaN when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Min, median and max of `samples`. */
export function spread(samples: readonly number[]): Spread {
  return {
    min: samples.length === 0 ? NaN : Math.min(...samples),
    median: median(samples),
    max: samples.length === 0 ? NaN : Math.max(...samples),
    samples: [...samples],
  };
}

/** `a / b`, or NaN when either is not a finite number or `b` is 0. */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN;
}
