/**
 * A `KSR` for a KEMI script's unit tests (`deno test`): it keeps what the
 * script logs, lets the test set `$evr(data)`, and aborts `KSR.shutdown`
 * when the test says so, to end a loop. Install it before the script is
 * imported (with `await import(...)`): the script's `KSR` is fixed when
 * `kemi/mod.ts` is first loaded.
 *
 * @example
 * ```ts
 * import { installTestKsr } from "./testing.ts";
 *
 * const ksr = installTestKsr();
 * const { timer } = await import("../examples/timer.ts");
 *
 * Deno.test("the timer logs a count", async () => {
 *   const running = timer("0");
 *   await new Promise((resolve) => setTimeout(resolve, 100));
 *   ksr.stop();
 *   await running;
 *   console.log(ksr.messages()); // ["timer worker 0: count 1"]
 * });
 * ```
 *
 * @module
 */

import { createKsr, emptyEvr } from "./ksr.ts";
import type { EvrValues, Ksr } from "./mod.ts";

/** The level a record is written at, as the host names it (`KSR.err` is `"error"`). */
export type KsrRecordLevel = "debug" | "info" | "warning" | "error" | "fatal";

/** One record the script logged through `KSR`. */
export interface KsrRecord {
  /** The level the host would write it at (`KSR.err` is `"error"`). */
  readonly level: KsrRecordLevel;
  /** The message. */
  readonly message: string;
}

/** The test's handle on the `KSR` it installed. */
export interface TestKsr {
  /** The installed `KSR` object. */
  readonly ksr: Ksr;
  /** Every record logged so far, oldest first. */
  readonly records: KsrRecord[];
  /** The `$evr(...)` values the script reads; set `evr.data` before a call. */
  readonly evr: EvrValues;
  /**
   * The messages logged so far, oldest first.
   *
   * @param level Only those at this level; all when left out.
   * @returns The messages.
   */
  messages(level?: KsrRecordLevel): string[];
  /** Aborts `KSR.shutdown`, as the host does when it stops. */
  stop(): void;
}

/**
 * Installs a recording `KSR` as the global one. Call it once per test
 * module, before the script is imported.
 *
 * @returns The test's handle on the `KSR` it installed: its records, its `$evr` values, its stop.
 * @throws {Error} When a `KSR` global exists already.
 */
export function installTestKsr(): TestKsr {
  if (globalThis.KSR !== undefined) {
    throw new Error("installTestKsr: a KSR is installed already (call it once, first)");
  }
  const records: KsrRecord[] = [];
  const evr = emptyEvr();
  const shutdown = new AbortController();
  const ksr = createKsr({
    log: (level, message) => records.push({ level, message }),
    evr,
    shutdown: shutdown.signal,
  });
  globalThis.KSR = ksr;
  return {
    ksr,
    records,
    evr,
    messages: (level) =>
      records.filter((record) => level === undefined || record.level === level)
        .map((record) => record.message),
    stop: () => shutdown.abort(),
  };
}
