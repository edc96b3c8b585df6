/**
 * A histogram of durations with fixed buckets, cheap enough for every call:
 * one counter per bucket, found by a short scan from the fastest.
 *
 * @module
 */

/** Upper bounds of the buckets, in seconds (`+Inf` is implied). */
export const DURATION_BUCKETS: readonly number[] = [
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
];

/** Observations counted per bucket (not cumulative), with their sum and count. */
export class DurationHistogram {
  /** Observations per bucket; the last counts those above every bound. */
  readonly counts: Float64Array = new Float64Array(DURATION_BUCKETS.length + 1);
  /** Sum of every observation, in seconds. */
  sum = 0;
  /** How many observations. */
  count = 0;

  /** Records one duration, in seconds. */
  observe(seconds: number): void {
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }

  /** Cumulative counts per bound, as Prometheus writes them, `+Inf` last. */
  cumulative(): number[] {
    let total = 0;
    return Array.from(this.counts, (n) => total += n);
  }
}

/**
 * The `q`-quantile (0 to 1) of observations counted per bucket as
 * {@link DurationHistogram.counts} holds them, in seconds: found by linear
 * interpolation within its bucket, as Prometheus' `histogram_quantile` does
 * (the last bucket answers its lower bound). Null when there is none.
 */
export function quantile(counts: ArrayLike<number>, q: number): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total <= 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const lower = i === 0 ? 0 : DURATION_BUCKETS[i - 1];
    if (below + counts[i] >= rank && counts[i] > 0) {
      if (i >= DURATION_BUCKETS.length) return lower;
      return lower + (DURATION_BUCKETS[i] - lower) * (rank - below) / counts[i];
    }
    below += counts[i];
  }
  return DURATION_BUCKETS[DURATION_BUCKETS.length - 1];
}
