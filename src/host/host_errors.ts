/**
 * The errors the host's own operations reject with, as JSON-RPC errors
 * (the RPC methods pass them on as they are): a reload or a task control
 * asked for while the host stops, and a reload that changed nothing.
 *
 * @module
 */

import { RpcCode, RpcError } from "../rpc/errors.ts";

/** The -32002 of a reload or a control method asked for once the host is stopping. */
export function stoppingError(): RpcError {
  return new RpcError(RpcCode.BUSY, "busy: the host is stopping");
}

/** The -32003 of a reload that changed nothing, saying why. */
export function reloadFailed(why: string): RpcError {
  return new RpcError(RpcCode.RELOAD_FAILED, `reload failed, the running version is kept: ${why}`);
}
