/**
 * The JSON-RPC error that answers a run whose function threw, or whose value
 * has no JSON form.
 *
 * @module
 */

import { RpcCode, RpcError } from "../rpc/errors.ts";
import type { ErrorInfo } from "../shared/messages.ts";

/** The error a failed run of `fn` answers with. */
export function runError(fn: string, reason: "threw" | "not-json", error: ErrorInfo): RpcError {
  if (reason === "not-json") {
    return new RpcError(
      RpcCode.INTERNAL_ERROR,
      `the result of ${fn} cannot be sent as JSON: ${error.message}`,
    );
  }
  return new RpcError(RpcCode.FUNCTION_FAILED, error.message, {
    name: error.name,
    stack: error.stack ?? null,
  });
}
