/**
 * JSON-RPC 2.0 over newline-delimited JSON: one line in, at most one line
 * out. Validates requests, calls methods, and writes responses; a result that
 * is already JSON text (a function's return value) is spliced in unparsed.
 *
 * @module
 */

import { messageOf } from "../shared/error_text.ts";
import { RpcCode, RpcError } from "./errors.ts";
import { type ParsedLine, parseWithIds } from "./request_id.ts";

/** A request id: a string, a number or null. */
export type RpcId = string | number | null;

/** Params as the request gave them: positional, named, or none. */
export type RpcParams = readonly unknown[] | Readonly<Record<string, unknown>> | undefined;

/** A result that is JSON text already, written into the response as it is. */
export class JsonText {
  /** Wraps JSON text. */
  constructor(readonly text: string) {}
}

/** Where a transport counts what it reads (see `observe/stats.ts`). */
export interface RequestCounts {
  /** Requests read; each element of a batch counts. */
  requests: number;
  /** Lines or datagrams that were not JSON. */
  parseErrors: number;
}

/** How {@link answerLine} paces and counts the requests of a line. */
export interface LineOptions {
  /** Gives each request, batch elements included, a slot to start (default: no pacing). */
  readonly gate?: RequestGate;
  /** Counts the requests and parse errors, when given. */
  readonly counts?: RequestCounts;
  /** Requests a batch may hold (default: no bound); a longer one is one -32600 answer. */
  readonly maxBatch?: number;
}

/**
 * Looks a method up and calls it; throws {@link RpcError} on bad params.
 * `signal` is aborted when the client that asked has gone.
 */
export type MethodCaller = (method: string, params: RpcParams, signal?: AbortSignal) => unknown;

/**
 * Paces requests: a slot is taken before each request (a line's, or each
 * element of a batch) is answered, and given back once it is.
 */
export interface RequestGate {
  /** Resolves when the request may start. */
  take(): Promise<void>;
  /** The request is answered. */
  give(): void;
}

/** No pacing at all. */
const UNGATED: RequestGate = { take: () => Promise.resolve(), give() {} };
/** Some character that is not white space: the line is not blank. */
const NOT_BLANK = /\S/;

/** The JSON text of an id that is not a request's (null, or one given by the host). */
function idJson(id: RpcId | JsonText): string {
  return id instanceof JsonText ? id.text : JSON.stringify(id);
}

/** An error answer; `id` is the id's JSON text, as the request wrote it. */
function errorLine(id: string, error: RpcError): string {
  const body: Record<string, unknown> = { code: error.code, message: error.message };
  if (error.data !== undefined) body.data = error.data;
  return `{"jsonrpc":"2.0","error":${JSON.stringify(body)},"id":${id}}`;
}

/** A result answer; `id` is the id's JSON text, as the request wrote it. */
function resultLine(id: string, result: unknown): string {
  const text = result instanceof JsonText ? result.text : JSON.stringify(result ?? null);
  return `{"jsonrpc":"2.0","result":${text},"id":${id}}`;
}

function invalid(message: string): RpcError {
  return new RpcError(RpcCode.INVALID_REQUEST, `invalid request: ${message}`);
}

/** A string, a number or null: an id JSON-RPC allows (any JSON number: it is sent back as written). */
function isId(value: unknown): value is RpcId {
  return value === null || typeof value === "string" || typeof value === "number";
}

const NULL_ID = "null";

/** Answers one request object; null for a notification. */
async function answer(
  request: unknown,
  line: ParsedLine,
  call: MethodCaller,
  counts?: RequestCounts,
): Promise<string | null> {
  if (counts) counts.requests++;
  if (typeof request !== "object" || request === null || Array.isArray(request)) {
    return errorLine(NULL_ID, invalid("expected an object"));
  }
  const r = request as Record<string, unknown>;
  const hasId = Object.hasOwn(r, "id");
  if (hasId && !isId(r.id)) {
    return errorLine(NULL_ID, invalid("id must be a string, number or null"));
  }
  const id = hasId ? line.idText(r) : NULL_ID;
  if (r.jsonrpc !== "2.0") return errorLine(id, invalid('"jsonrpc" must be "2.0"'));
  if (typeof r.method !== "string") return errorLine(id, invalid('"method" must be a string'));
  if (r.params !== undefined && (typeof r.params !== "object" || r.params === null)) {
    return errorLine(id, invalid('"params" must be an array or an object'));
  }
  try {
    const result = await call(r.method, r.params as RpcParams);
    return hasId ? resultLine(id, result) : null;
  } catch (error) {
    if (!hasId) return null;
    const rpcError = error instanceof RpcError
      ? error
      : new RpcError(RpcCode.INTERNAL_ERROR, `internal error: ${messageOf(error)}`);
    return errorLine(id, rpcError);
  }
}

/** Answers one request once `gate` lets it start. */
async function answerPaced(
  line: ParsedLine,
  call: MethodCaller,
  { gate = UNGATED, counts }: LineOptions,
): Promise<string | null> {
  if (gate !== UNGATED) await gate.take();
  try {
    return await answer(line.value, line, call, counts);
  } finally {
    gate.give();
  }
}

/**
 * Answers a batch: its elements start one by one as `gate` lets them, so a
 * batch goes at the pace of as many pipelined requests; one array answers all.
 */
async function answerBatch(
  batch: readonly unknown[],
  line: ParsedLine,
  call: MethodCaller,
  { gate = UNGATED, counts }: LineOptions,
): Promise<string | null> {
  const answers: Promise<string | null>[] = [];
  for (const request of batch) {
    await gate.take();
    answers.push(answer(request, line, call, counts).finally(() => gate.give()));
  }
  const lines = (await Promise.all(answers)).filter((l): l is string => l !== null);
  return lines.length === 0 ? null : `[${lines.join(",")}]`;
}

/**
 * Answers one line of newline-delimited JSON-RPC: a request or a batch.
 * Resolves with the response line (no newline), or null when nothing is to
 * be sent back (notifications, blank lines). Each request, batch elements
 * included, starts when `options.gate` lets it start.
 */
export async function answerLine(
  line: string,
  call: MethodCaller,
  options: LineOptions = {},
): Promise<string | null> {
  if (!NOT_BLANK.test(line)) return null;
  let parsed: ParsedLine;
  try {
    parsed = parseWithIds(line);
  } catch (error) {
    if (options.counts) options.counts.parseErrors++;
    return errorLine(
      NULL_ID,
      new RpcError(RpcCode.PARSE_ERROR, `parse error: ${messageOf(error)}`),
    );
  }
  const value = parsed.value;
  if (!Array.isArray(value)) return await answerPaced(parsed, call, options);
  if (value.length === 0) return errorLine(NULL_ID, invalid("empty batch"));
  const maxBatch = options.maxBatch ?? Infinity;
  if (value.length > maxBatch) {
    if (options.counts) options.counts.requests++;
    return errorLine(
      NULL_ID,
      invalid(`batch of ${value.length} requests; at most ${maxBatch} are taken (--max-batch)`),
    );
  }
  return await answerBatch(value, parsed, call, options);
}

/**
 * An error answer for what is not a request at all (a line too long or not
 * UTF-8, a connection past the limit), with a null id; or, with `id`, for a
 * request whose answer cannot be sent as it is (give the id as the request
 * wrote it, from {@link requestIdText}, to send it back unchanged).
 */
export function errorAnswer(code: number, message: string, id: RpcId | JsonText = null): string {
  return errorLine(idJson(id), new RpcError(code, message));
}

/**
 * The id of the request in `line` as it was written (a numeric id's token,
 * unrounded), or null when the line is not one request with a valid id.
 */
export function requestIdText(line: string): JsonText | null {
  try {
    const parsed = parseWithIds(line);
    const request = parsed.value as Record<string, unknown> | null;
    if (typeof request !== "object" || request === null || Array.isArray(request)) return null;
    return Object.hasOwn(request, "id") && isId(request.id)
      ? new JsonText(parsed.idText(request))
      : null;
  } catch {
    return null;
  }
}
