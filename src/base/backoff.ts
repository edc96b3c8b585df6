/**
 * The one backoff of the house: a delay that doubles with each failure in a
 * row, from `firstMs` up to `maxMs`, one streak per worker slot. The exec
 * tasks' restart policy and the RPC pool's respawn of a lost worker both
 * count their streaks here.
 *
 * @module
 */

/** Failure streaks by slot index, and the doubling delay they make. */
export class Backoff {
  #streaks = new Map<number, number>();

  /** A backoff from `firstMs`, doubling up to `maxMs` (both in ms). */
  constructor(readonly firstMs: number, readonly maxMs: number) {}

  /**
   * Slot `index` failed once more: the delay before its next try, and its
   * streak before this failure (0 for the first failure of a streak).
   */
  failed(index: number): { readonly delayMs: number; readonly streak: number } {
    const streak = this.#streaks.get(index) ?? 0;
    this.#streaks.set(index, streak + 1);
    return { delayMs: Math.min(this.firstMs * 2 ** streak, this.maxMs), streak };
  }

  /** Slot `index` is well again: its next failure starts a new streak. */
  reset(index: number): void {
    this.#streaks.delete(index);
  }

  /** Every slot starts anew. */
  clear(): void {
    this.#streaks.clear();
  }
}
