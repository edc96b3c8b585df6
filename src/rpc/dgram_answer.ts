/**
 * One datagram in, at most one datagram out: JSON-RPC on Kamailio's
 * datagram transport. A request or an answer larger than one datagram, a
 * batch (Kamailio has none here) and bytes that are not UTF-8 get an error
 * answer; everything else is answered as the stream socket answers it.
 *
 * @module
 */

import {
  answerLine,
  errorAnswer,
  JsonText,
  type MethodCaller,
  type RequestCounts,
  requestIdText,
} from "./jsonrpc.ts";
import { RpcCode } from "./errors.ts";
import { clipText } from "../shared/quote.ts";

/** The largest request or answer one datagram carries, in bytes (Kamailio's jsonrpcs cap). */
export const MAX_DATAGRAM_BYTES = 65_456;

/** What the datagram transport counts beyond requests and parse errors. */
export interface DatagramCounts extends RequestCounts {
  /** Requests or answers over {@link MAX_DATAGRAM_BYTES}. */
  tooLarge: number;
  /** Answers that could not be sent back. */
  unanswered: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

const TOO_LARGE = encoder.encode(errorAnswer(
  RpcCode.INVALID_REQUEST,
  `invalid request: over ${MAX_DATAGRAM_BYTES} bytes, more than one datagram carries; ` +
    "send it over the stream socket",
));
const NOT_UTF8 = encoder.encode(
  errorAnswer(RpcCode.PARSE_ERROR, "parse error: the datagram is not valid UTF-8"),
);
const BATCH = encoder.encode(errorAnswer(
  RpcCode.INVALID_REQUEST,
  "invalid request: the datagram transport takes one request per datagram, no batch " +
    "(as in Kamailio); send a batch over the stream socket",
));

/** The id (as sent) and method of a request, for an answer that replaces the real one. */
function idAndMethod(text: string): { id: JsonText | null; method: string } {
  try {
    const request = JSON.parse(text) as { method?: unknown };
    const method = typeof request.method === "string" ? clipText(request.method) : "the method";
    return { id: requestIdText(text), method };
  } catch {
    return { id: null, method: "the method" };
  }
}

const OPENS_ARRAY = /^\s*\[/;

/** True when `text` is a JSON array: a batch. */
function isBatch(text: string): boolean {
  if (!OPENS_ARRAY.test(text)) return false;
  try {
    return Array.isArray(JSON.parse(text));
  } catch {
    return false; // not JSON: answerLine answers -32700
  }
}

/**
 * Answers the request that `bytes` carry; resolves with the answer's bytes,
 * or null when none is due (a notification, an empty datagram).
 */
export async function answerDatagram(
  bytes: Uint8Array,
  call: MethodCaller,
  counts?: DatagramCounts,
): Promise<Uint8Array | null> {
  if (bytes.length > MAX_DATAGRAM_BYTES) {
    if (counts) counts.tooLarge++;
    return TOO_LARGE;
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    if (counts) counts.parseErrors++;
    return NOT_UTF8;
  }
  if (isBatch(text)) {
    if (counts) counts.requests++;
    return BATCH;
  }
  const answer = await answerLine(text, call, { counts });
  if (answer === null) return null;
  const out = encoder.encode(answer);
  if (out.length <= MAX_DATAGRAM_BYTES) return out;
  if (counts) counts.tooLarge++;
  const { id, method } = idAndMethod(text);
  return encoder.encode(errorAnswer(
    RpcCode.INTERNAL_ERROR,
    `the answer (${out.length} bytes) is larger than one datagram carries ` +
      `(${MAX_DATAGRAM_BYTES}); call ${method} over the stream socket`,
    id,
  ));
}
