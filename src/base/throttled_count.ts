/**
 * A count of like events reported at most once per interval: the first at
 * once, later ones summed into the next report.
 *
 * @module
 */

/** Counts events and reports the sum at most once every `intervalMs`. */
export class ThrottledCount {
  #intervalMs: number;
  #report: (count: number) => void;
  #now: () => number;
  #count = 0;
  #lastReport = -Infinity;

  /**
   * Reports through `report` (with the events counted since the last report)
   * at most once every `intervalMs` of the clock `now`.
   */
  constructor(
    intervalMs: number,
    report: (count: number) => void,
    now: () => number = () => performance.now(),
  ) {
    this.#intervalMs = intervalMs;
    this.#report = report;
    this.#now = now;
  }

  /** Counts one event; reports when the interval since the last report has passed. */
  add(): void {
    this.#count++;
    const now = this.#now();
    if (now - this.#lastReport < this.#intervalMs) return;
    this.#lastReport = now;
    const count = this.#count;
    this.#count = 0;
    this.#report(count);
  }
}
