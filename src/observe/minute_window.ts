/**
 * Quantiles of the last minute: the `evrexec.run` duration histograms are
 * counts since the start, so this keeps a copy of each function's bucket
 * counts once a second for a minute, and the difference between now and a
 * minute ago is the last minute's histogram.
 *
 * @module
 */

import { quantile } from "./histogram.ts";
import type { FunctionCounts } from "./stats.ts";

/** The window, in ms. */
export const WINDOW_MS = 60_000;
/** How often a copy is taken, in ms. */
export const SAMPLE_MS = 1_000;

/** One function's figures over the window. */
export interface WindowFigures {
  /** Calls that ran within the window. */
  readonly calls: number;
  /** The median duration, in ms, or null without a call. */
  readonly p50_ms: number | null;
  /** The 99th percentile, in ms, or null without a call. */
  readonly p99_ms: number | null;
}

interface Sample {
  readonly at: number;
  readonly counts: ReadonlyMap<string, Float64Array>;
}

/** Milliseconds to a hundredth, or null. */
const ms = (seconds: number | null) => seconds === null ? null : Math.round(seconds * 1e5) / 100;

/** Copies of the histograms, one per {@link SAMPLE_MS}, for {@link WINDOW_MS}. */
export class MinuteWindow {
  #samples: Sample[] = [];
  #functions: ReadonlyMap<string, FunctionCounts>;
  #now: () => number;

  /** A window over `functions` (the host's counters), reading the time from `now`. */
  constructor(functions: ReadonlyMap<string, FunctionCounts>, now: () => number = Date.now) {
    this.#functions = functions;
    this.#now = now;
  }

  /** Takes a copy now, and drops those older than the window needs. */
  sample(): void {
    const at = this.#now();
    const counts = new Map<string, Float64Array>();
    for (const [name, fn] of this.#functions) counts.set(name, fn.durations.counts.slice());
    this.#samples.push({ at, counts });
    // keep the newest sample at least WINDOW_MS old, and every newer one
    while (this.#samples.length > 1 && at - this.#samples[1].at >= WINDOW_MS) {
      this.#samples.shift();
    }
  }

  /** The figures of function `name` over the last minute (or since the first copy). */
  figures(name: string): WindowFigures {
    const now = this.#functions.get(name)?.durations.counts;
    if (now === undefined) return { calls: 0, p50_ms: null, p99_ms: null };
    const at = this.#now();
    const base = this.#samples.find((s) => at - s.at <= WINDOW_MS)?.counts.get(name);
    const diff = now.map((n, i) => n - (base?.[i] ?? 0));
    return {
      calls: diff.reduce((sum, n) => sum + n, 0),
      p50_ms: ms(quantile(diff, 0.5)),
      p99_ms: ms(quantile(diff, 0.99)),
    };
  }
}
