/**
 * What a KEMI script sees: the typed `KSR` object.
 *
 * Inside the host's workers `KSR` is also a global, so a script may use it
 * without importing anything; importing it from here gives the same object
 * and its types. Outside the host (a script's own unit tests, say) `KSR`
 * writes to the console and `$evr(...)` values are empty.
 *
 * @example
 * ```ts
 * import { KSR } from "./mod.ts";
 *
 * export async function timer(index: string): Promise<void> {
 *   let n = 0;
 *   while (!KSR.shutdown.aborted) {
 *     KSR.info(`worker ${index}: tick ${n++}`);
 *     await new Promise((resolve) => setTimeout(resolve, 600));
 *   }
 * }
 * ```
 *
 * @module
 */

import { createKsr, emptyEvr } from "./ksr.ts";
import type { Ksr } from "./types.ts";

export type { EvrValues, Ksr, KsrLogLevel, KsrPv, PvValue } from "./types.ts";

declare global {
  /** The KSR object, a global inside the host's workers. */
  var KSR: Ksr;
}

function consoleKsr(): Ksr {
  const write = {
    debug: console.debug,
    info: console.info,
    warning: console.warn,
    error: console.error,
    fatal: console.error,
  };
  return createKsr({
    log: (level, message) => write[level](`[${level}] ${message}`),
    evr: emptyEvr(),
    shutdown: new AbortController().signal,
  });
}

/**
 * The `KSR` object: the host's own inside its workers, a console-backed one
 * anywhere else.
 */
export const KSR: Ksr = globalThis.KSR ?? consoleKsr();
