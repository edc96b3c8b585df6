/**
 * One JSON-RPC request read from a jsonrpcs FIFO (a document cut by
 * `FifoScanner`): a JSON-RPC 2.0 object with one member more, `reply_name`,
 * the name of the FIFO (in the reply directory) that the answer goes to.
 * kamctl writes, on one line:
 *
 * ```
 * {"jsonrpc": "2.0", "method": "M", "params": [P1, P2], "reply_name": "kamailio_receiver_PID", "id": PID}
 * ```
 *
 * Pure: the reply FIFO's name is checked here (`checkReplyName`), the file
 * itself by the transport (see fifo_reply_fifo.ts).
 *
 * @module
 */

import { checkReplyName } from "./fifo_reply_fifo.ts";

/** The JSON-RPC error codes this file answers with (JSON-RPC 2.0's). */
export const FifoErrorCode = {
  /** Not UTF-8 or not JSON. */
  PARSE_ERROR: -32700,
  /** JSON, but not a valid request. */
  INVALID_REQUEST: -32600,
} as const;

/** A request id as JSON-RPC allows it. */
export type FifoRequestId = string | number | null;

/** A valid request, without its `reply_name`. */
export interface FifoCall {
  /** The method. */
  readonly method: string;
  /** Positional or named params, or none. */
  readonly params: readonly unknown[] | Readonly<Record<string, unknown>> | undefined;
  /** The id to answer with; `undefined` when the request had none (Kamailio answers anyway, without an id). */
  readonly id: FifoRequestId | undefined;
}

/** What reading one FIFO document gives. */
export type FifoRequestResult =
  /** A request to call; answer into `replyName`. */
  | { readonly ok: true; readonly replyName: string; readonly call: FifoCall }
  /**
   * A bad request. When `replyName` is a checked name, answer the error
   * there (with `id`); when it is null no answer is possible: log `message`.
   */
  | {
    readonly ok: false;
    readonly replyName: string | null;
    readonly code: number;
    readonly message: string;
    readonly id: FifoRequestId;
  };

const utf8 = new TextDecoder("utf-8", { fatal: true });

function isId(value: unknown): value is FifoRequestId {
  return value === null || typeof value === "string" ||
    (typeof value === "number" && Number.isFinite(value));
}

function refusal(
  code: number,
  message: string,
  replyName: string | null = null,
  id: FifoRequestId = null,
): FifoRequestResult {
  return { ok: false, replyName, code, message, id };
}

/** Reads one document as a FIFO request. Never throws. */
export function parseFifoRequest(document: Uint8Array): FifoRequestResult {
  let text: string;
  try {
    text = utf8.decode(document);
  } catch {
    return refusal(FifoErrorCode.PARSE_ERROR, "parse error: the request is not UTF-8");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).slice(0, 160);
    return refusal(FifoErrorCode.PARSE_ERROR, `parse error: the request is not JSON (${why})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const what = Array.isArray(value) ? "a batch, which the FIFO does not take" : "not an object";
    return refusal(FifoErrorCode.INVALID_REQUEST, `invalid request: ${what}`);
  }
  const request = value as Record<string, unknown>;
  const nameProblem = checkReplyName(request.reply_name);
  if (nameProblem !== null) {
    return refusal(FifoErrorCode.INVALID_REQUEST, `invalid request: ${nameProblem}`);
  }
  const replyName = request.reply_name as string;
  const id = isId(request.id) ? request.id : null;
  const invalid = (what: string) =>
    refusal(FifoErrorCode.INVALID_REQUEST, `invalid request: ${what}`, replyName, id);
  if (request.jsonrpc !== "2.0") return invalid('"jsonrpc" must be "2.0"');
  if (typeof request.method !== "string" || request.method.length === 0) {
    return invalid('"method" must be a non-empty string');
  }
  const params = request.params;
  if (params !== undefined && (typeof params !== "object" || params === null)) {
    return invalid('"params" must be an array or an object');
  }
  if (request.id !== undefined && !isId(request.id)) {
    return invalid('"id" must be a string, a number or null');
  }
  const call: FifoCall = {
    method: request.method,
    params: params as FifoCall["params"],
    id: request.id as FifoRequestId | undefined,
  };
  return { ok: true, replyName, call };
}
