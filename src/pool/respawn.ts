/**
 * When a lost pool worker is started again: at once after a timeout, and
 * after a delay that doubles per failure in a row when its worker crashed or
 * could not load the script (a broken file on disk), so a member that cannot
 * start does not crash-loop; only the first failure of a streak is an error
 * in the log.
 *
 * @module
 */

/** The first delay after a crash or a failed load, in ms. */
export const FIRST_DELAY_MS = 1000;
/** The longest delay, in ms. */
export const MAX_DELAY_MS = 60_000;

/** What to do about one lost worker. */
export interface Respawn {
  /** How long to wait before the new worker, in ms. */
  readonly delayMs: number;
  /** True for the first failure of a streak: log it as an error (later ones at debug). */
  readonly first: boolean;
}

/** The failure streaks of a pool's members, by member index. */
export class RespawnBackoff {
  #streaks = new Map<number, number>();

  /** Member `index` was lost; `failed` when its worker crashed or did not load. */
  lost(index: number, failed: boolean): Respawn {
    if (!failed) return { delayMs: 0, first: true };
    const streak = (this.#streaks.get(index) ?? 0) + 1;
    this.#streaks.set(index, streak);
    return {
      delayMs: Math.min(FIRST_DELAY_MS * 2 ** (streak - 1), MAX_DELAY_MS),
      first: streak === 1,
    };
  }

  /** Member `index` loaded the script: its streak is over. */
  loaded(index: number): void {
    this.#streaks.delete(index);
  }
}
