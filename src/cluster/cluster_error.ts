/**
 * The errors of the cluster store, sorted so that the caller can act: the
 * database cannot be reached now (try again later, report unhealthy, stop
 * singletons at the local deadline), or the database answered with an error
 * (a bug, a privilege, a schema newer than this host).
 *
 * @module
 */

/** Error codes of node's sockets that mean the server is out of reach. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNABORTED",
]);

/**
 * SQLSTATE classes and codes that mean the session or server went away:
 * 08 connection exceptions, 57P01-57P03 (shut down, crashed, starting up),
 * 53300 (too many connections).
 */
function isUnavailableState(code: string): boolean {
  return code.startsWith("08") || /^57P0[1-3]$/.test(code) || code === "53300";
}

/** Messages of node-postgres for a connection that broke or never came. */
const PG_MESSAGES = [
  "Connection terminated",
  "Client has encountered a connection error",
  "timeout exceeded when trying to connect",
  "Query read timeout",
  "Connection ended",
  "not queryable",
];

/** The database cannot be reached now; the operation did not (or may not have) taken effect. */
export class ClusterUnavailableError extends Error {
  /** Wraps the driver's error, keeping it as `cause`. */
  constructor(operation: string, cause: unknown) {
    super(`cluster database unavailable (${operation}): ${messageOf(cause)}`, { cause });
    this.name = "ClusterUnavailableError";
  }
}

/** The database answered an operation with an error. */
export class ClusterQueryError extends Error {
  /** The SQLSTATE, when the server sent one. */
  readonly code: string | undefined;
  /** Wraps the driver's error, keeping it as `cause`. */
  constructor(operation: string, cause: unknown) {
    super(`cluster database error (${operation}): ${messageOf(cause)}`, { cause });
    this.name = "ClusterQueryError";
    this.code = codeOf(cause);
  }
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  return error instanceof Error ? error.message || error.name : String(error);
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** True when `error` (from node-postgres or a socket) means the server is out of reach. */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof ClusterUnavailableError) return true;
  if (error instanceof AggregateError) return error.errors.some(isUnavailable);
  const code = codeOf(error);
  if (code !== undefined && (SOCKET_CODES.has(code) || isUnavailableState(code))) return true;
  const message = error instanceof Error ? error.message : "";
  return PG_MESSAGES.some((text) => message.includes(text));
}

/** Wraps a driver error as {@link ClusterUnavailableError} or {@link ClusterQueryError}. */
export function clusterError(operation: string, error: unknown): Error {
  if (error instanceof ClusterUnavailableError || error instanceof ClusterQueryError) return error;
  return isUnavailable(error)
    ? new ClusterUnavailableError(operation, error)
    : new ClusterQueryError(operation, error);
}
