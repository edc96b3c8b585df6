/**
 * JSON-RPC 2.0 error codes, the spec's and this host's, and the error type
 * RPC methods throw.
 *
 * @module
 */

/** The error codes this host answers with. */
export const RpcCode = {
  /** The line is not JSON. */
  PARSE_ERROR: -32700,
  /** The JSON is not a valid request. */
  INVALID_REQUEST: -32600,
  /** No such method. */
  METHOD_NOT_FOUND: -32601,
  /** Bad params, or an unknown function, task or index. */
  INVALID_PARAMS: -32602,
  /** Something went wrong in the host. */
  INTERNAL_ERROR: -32603,
  /** The script's function threw. */
  FUNCTION_FAILED: -32000,
  /** The run took longer than `--rpc-timeout`. */
  TIMEOUT: -32001,
  /** The queue is full, or the host is stopping. */
  BUSY: -32002,
  /** A reload found the new script unusable; the running version is kept. */
  RELOAD_FAILED: -32003,
  /** The function got a worker stuck in synchronous code: it is refused until a reload. */
  REFUSED_STUCK: -32004,
  /** A fleet method (`evrexec.submit`, `result`, `cluster`) could not reach the fleet's database. */
  CLUSTER_UNAVAILABLE: -32005,
} as const;

/** An error a method answers with; `data` goes to the error's `data`. */
export class RpcError extends Error {
  /**
   * Creates an error with a JSON-RPC code.
   *
   * @param code The code (see {@link RpcCode}).
   * @param message What went wrong, in one line.
   * @param data What the answer's `error.data` holds, if anything.
   */
  constructor(readonly code: number, message: string, readonly data?: unknown) {
    super(message);
    this.name = "RpcError";
  }
}
