/**
 * The pool's own error kinds: why a call got no value from its function.
 * The pool knows nothing of JSON-RPC; the `evrexec.run` method maps each
 * kind to its JSON-RPC code (`host/methods/evrexec.ts`).
 *
 * @module
 */

import type { ErrorInfo } from "../shared/messages.ts";

/**
 * Why a call failed: `busy` (a full queue, a stopping pool, a departed
 * client), `timeout` (past `--rpc-timeout`), `threw` (the function threw),
 * `not-json` (its value has no JSON form), `lost` (its worker crashed or
 * could not start), `refused` (the function, or the pool, is refused around
 * workers stuck in synchronous code).
 */
export type PoolErrorKind = "busy" | "timeout" | "threw" | "not-json" | "lost" | "refused";

/** A call the pool could not answer with its function's value. */
export class PoolError extends Error {
  /**
   * Creates the error; `thrown` is what the function threw (kind `threw`),
   * as the worker described it.
   */
  constructor(
    readonly kind: PoolErrorKind,
    message: string,
    readonly thrown?: ErrorInfo,
  ) {
    super(message);
    this.name = "PoolError";
  }
}

/** The error a failed run of `fn` answers with: it threw, or its value has no JSON form. */
export function runError(fn: string, reason: "threw" | "not-json", error: ErrorInfo): PoolError {
  if (reason === "not-json") {
    return new PoolError(
      "not-json",
      `the result of ${fn} cannot be sent as JSON: ${error.message}`,
    );
  }
  return new PoolError("threw", error.message, error);
}
