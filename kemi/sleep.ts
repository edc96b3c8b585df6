/**
 * `KSR.sleep` and `KSR.usleep`, as Kamailio's cfgutils module has them:
 * `sleep(seconds)` and `usleep(microseconds)`, given as a number or as its
 * text (`sleep("600")` is ten minutes). Here they are awaited, so the
 * worker's other work goes on while one waits, and the host's stop signal
 * ends the wait at once: the promise rejects with the signal's reason (an
 * `AbortError`), which ends the task's function as a stop would.
 *
 * @module
 */

/** The longest wait a timer can hold, in milliseconds (about 24.8 days). */
export const MAX_SLEEP_MS = 2 ** 31 - 1;

/**
 * Reads a duration as cfgutils takes it: a non-negative integer, or its
 * decimal text; throws a `TypeError` or `RangeError` naming the function.
 */
export function readDuration(
  fn: "sleep" | "usleep",
  value: unknown,
  unitMs: number,
): number {
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string" || !/^\s*[0-9]{1,16}\s*$/.test(text)) {
    const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : String(value);
    throw new TypeError(
      `KSR.${fn}: expected a non-negative whole number of ${
        fn === "sleep" ? "seconds" : "microseconds"
      } (or its text), got ${shown}`,
    );
  }
  const ms = Number(text) * unitMs;
  if (ms > MAX_SLEEP_MS) {
    throw new RangeError(
      `KSR.${fn}: ${text.trim()} is over the longest wait, ${MAX_SLEEP_MS} ms (about 24.8 days)`,
    );
  }
  return ms;
}

/**
 * Waits `ms` milliseconds; rejects with `signal`'s reason as soon as it is
 * aborted (at once when it already is).
 */
export function sleepUntilAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", stopped, { once: true });
    function done() {
      signal.removeEventListener("abort", stopped);
      resolve();
    }
    function stopped() {
      clearTimeout(timer);
      reject(signal.reason);
    }
  });
}
