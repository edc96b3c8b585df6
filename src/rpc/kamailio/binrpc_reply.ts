/**
 * BINRPC reply and fault frames: encoding a method's result the way
 * Kamailio's ctl module writes it, so kamcmd prints it as it prints
 * Kamailio's, and decoding one (for tests and clients).
 *
 * How a JS result becomes records (Kamailio's own choices):
 * - a top-level array gives one top-level record per item (as `core.ps`
 *   adds its values one by one); `null` or `undefined` gives an empty reply;
 *   anything else one record;
 * - a string is a string record; a boolean the int 1 or 0; a number an int
 *   when it is a signed 32-bit integer, else a fixed-point double (value ×
 *   1000, truncated) when it fits, else its decimal string; a Uint8Array a
 *   bytes record;
 * - an object is a struct of name/value members (`undefined` members and
 *   functions are left out, as JSON does); an array inside is a struct of
 *   plain values, since Kamailio writes arrays as structs and kamcmd cannot
 *   read an array as a member's value;
 * - `null` inside is the string `<null string>`, Kamailio's text for a
 *   NULL string.
 *
 * @module
 */

import { type BinrpcError, binrpcError } from "./binrpc_error.ts";
import { readHeader, writeHeader } from "./binrpc_header.ts";
import { type BinrpcRecord, RecordReader } from "./binrpc_records.ts";
import { fitsDouble, isInt32, RecordWriter } from "./binrpc_writer.ts";
import {
  FrameType,
  KAMAILIO_MAX_FAULT_BYTES,
  KAMCMD_MAX_REPLY_BYTES,
  NULL_STRING,
} from "./binrpc_wire.ts";

/** Bounds on one reply. */
export interface ReplyLimits {
  /** The largest frame, header included (default 128 KiB: kamcmd reads no more). */
  readonly maxFrameBytes: number;
  /** Objects and arrays nest at most this deep (default 32; a cycle hits it). */
  readonly maxDepth: number;
}

/** The default {@link ReplyLimits}. */
export const DEFAULT_REPLY_LIMITS: ReplyLimits = {
  maxFrameBytes: KAMCMD_MAX_REPLY_BYTES,
  maxDepth: 32,
};

/** The header's largest size: the body may use the rest of the frame. */
const MAX_HEADER_BYTES = 10;

/** What encoding a reply gives: its frame, or why it cannot be sent (answer a fault instead). */
export type EncodeResult =
  | { readonly ok: true; readonly frame: Uint8Array }
  | { readonly ok: false; readonly error: BinrpcError };

function frameOf(type: number, cookie: number, body: Uint8Array): Uint8Array {
  const head = writeHeader(type, body.length, cookie);
  const frame = new Uint8Array(head.length + body.length);
  frame.set(head);
  frame.set(body, head.length);
  return frame;
}

/** Writes one value; false when it nests deeper than `depthLeft` allows. */
function writeValue(out: RecordWriter, value: unknown, depthLeft: number): boolean {
  switch (typeof value) {
    case "string":
      out.str(value);
      return true;
    case "boolean":
      out.int(value ? 1 : 0);
      return true;
    case "number":
      if (isInt32(value)) out.int(value);
      else if (fitsDouble(value)) out.double(value);
      else out.str(String(value));
      return true;
    case "bigint":
      if (value >= -0x80000000n && value <= 0x7fffffffn) out.int(Number(value));
      else out.str(value.toString());
      return true;
    case "object":
      break;
    default: // undefined, functions, symbols: in an array, like null (as JSON does)
      out.str(NULL_STRING);
      return true;
  }
  if (value === null) {
    out.str(NULL_STRING);
    return true;
  }
  if (value instanceof Uint8Array) {
    out.raw(value);
    return true;
  }
  if (depthLeft <= 0) return false;
  out.openStruct();
  if (Array.isArray(value)) {
    for (const item of value) {
      if (out.overflow) return true;
      if (!writeValue(out, item, depthLeft - 1)) return false;
    }
  } else {
    for (const [name, member] of Object.entries(value as Record<string, unknown>)) {
      if (out.overflow) return true;
      if (member === undefined || typeof member === "function" || typeof member === "symbol") {
        continue;
      }
      out.name(name);
      if (!writeValue(out, member, depthLeft - 1)) return false;
    }
  }
  out.closeStruct();
  return true;
}

/**
 * Encodes a method's result as a reply frame with `cookie`. Never throws:
 * a result past the limits gives an error to answer with
 * {@link encodeFault} (code 500, as Kamailio answers a reply that does not
 * fit its buffer).
 */
export function encodeReply(
  cookie: number,
  result: unknown,
  limits: ReplyLimits = DEFAULT_REPLY_LIMITS,
): EncodeResult {
  const out = new RecordWriter(Math.max(0, limits.maxFrameBytes - MAX_HEADER_BYTES));
  try {
    const values: readonly unknown[] = result === null || result === undefined
      ? []
      : Array.isArray(result)
      ? result
      : [result];
    for (const value of values) {
      if (out.overflow) break;
      if (!writeValue(out, value, limits.maxDepth)) {
        const message =
          `reply too deep: objects and arrays nest more than ${limits.maxDepth} levels`;
        return { ok: false, error: binrpcError("reply_too_large", message, cookie) };
      }
    }
  } catch (e) {
    return { ok: false, error: binrpcError("internal", `cannot encode the reply: ${e}`, cookie) };
  }
  if (out.overflow) {
    const message = `reply too large: over ${limits.maxFrameBytes} bytes, the most kamcmd reads`;
    return { ok: false, error: binrpcError("reply_too_large", message, cookie) };
  }
  return { ok: true, frame: frameOf(FrameType.REPLY, cookie, out.bytes()) };
}

const utf8 = new TextEncoder();

/** Cuts `message` to at most `maxBytes` UTF-8 bytes, on a character boundary. */
function cutUtf8(message: string, maxBytes: number): string {
  if (message.length * 3 <= maxBytes || utf8.encode(message).length <= maxBytes) return message;
  let out = "";
  let bytes = 0;
  for (const char of message) {
    const size = utf8.encode(char).length;
    if (bytes + size > maxBytes) break;
    out += char;
    bytes += size;
  }
  return out;
}

/**
 * Encodes a fault frame: an int `code` and a string `message`, cut to 255
 * bytes as Kamailio cuts its fault messages. kamcmd prints it as
 * `error: CODE - MESSAGE`.
 */
export function encodeFault(cookie: number, code: number, message: string): Uint8Array {
  const out = new RecordWriter(KAMAILIO_MAX_FAULT_BYTES + 16);
  out.int(isInt32(code) ? code : 500);
  out.str(cutUtf8(message, KAMAILIO_MAX_FAULT_BYTES - 1));
  return frameOf(FrameType.FAULT, cookie, out.bytes());
}

/** The fault Kamailio answers for a method it does not have: 500 `command METHOD not found`. */
export function unknownMethodFault(cookie: number, method: string): Uint8Array {
  return encodeFault(cookie, 500, `command ${method} not found`);
}

/** A decoded reply or fault. */
export type ReplyResult =
  | { readonly kind: "more"; readonly need: number }
  | {
    readonly kind: "reply" | "fault";
    readonly cookie: number;
    readonly records: readonly BinrpcRecord[];
    readonly frameBytes: number;
  }
  | { readonly kind: "error"; readonly error: BinrpcError };

/**
 * Decodes the reply or fault frame at the start of `buf`, reading structs
 * leniently (Kamailio puts plain values in structs for arrays). Never throws.
 */
export function decodeReply(
  buf: Uint8Array,
  limits: ReplyLimits = DEFAULT_REPLY_LIMITS,
): ReplyResult {
  const read = readHeader(buf);
  if (read.kind !== "header") return read;
  const { header } = read;
  if (header.type === FrameType.REQUEST) {
    const error = binrpcError("unexpected_frame_type", "a request where a reply was expected");
    return { kind: "error", error };
  }
  const frameBytes = header.headerBytes + header.bodyBytes;
  if (frameBytes > limits.maxFrameBytes) {
    const message = `a reply of ${frameBytes} bytes (at most ${limits.maxFrameBytes})`;
    return { kind: "error", error: binrpcError("frame_too_large", message, header.cookie) };
  }
  if (buf.length < frameBytes) return { kind: "more", need: frameBytes - buf.length };
  const body = buf.subarray(header.headerBytes, frameBytes);
  const reader = new RecordReader(
    body,
    { maxDepth: limits.maxDepth, maxRecords: Number.MAX_SAFE_INTEGER, lenient: true },
    header.cookie,
  );
  const all = reader.readAll();
  if (!all.ok) return { kind: "error", error: all.error };
  const kind = header.type === FrameType.FAULT ? "fault" : "reply";
  return { kind, cookie: header.cookie, records: all.records, frameBytes };
}
