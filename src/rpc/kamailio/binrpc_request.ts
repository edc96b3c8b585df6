/**
 * BINRPC request frames: decoding what kamcmd sends, incrementally and
 * within bounds, and encoding one the way kamcmd does (for tests and
 * clients).
 *
 * A request's body is the method name (a string record) followed by the
 * params. kamcmd sends each argument as an int when `strtol` takes all of
 * it, else as a double when `strtod` does, else as a string (`s:` forces a
 * string); it never sends structs or arrays, which this decoder still reads
 * within {@link BinrpcLimits.maxDepth}.
 *
 * @module
 */

import { type BinrpcError, binrpcError } from "./binrpc_error.ts";
import { readHeader, writeHeader } from "./binrpc_header.ts";
import { type BinrpcRecord, RecordReader } from "./binrpc_records.ts";
import { fitsDouble, isInt32, RecordWriter } from "./binrpc_writer.ts";
import { FrameType, KAMAILIO_STREAM_BUFFER_BYTES } from "./binrpc_wire.ts";

/** Bounds on one request frame. */
export interface BinrpcLimits {
  /** The largest frame, header included (default 65535, Kamailio's stream buffer). */
  readonly maxFrameBytes: number;
  /** Structs and arrays nest at most this deep (default 8; kamcmd sends none). */
  readonly maxDepth: number;
  /** At most this many records in the body (default 1024; kamcmd sends at most 257). */
  readonly maxRecords: number;
}

/** The default {@link BinrpcLimits}. */
export const DEFAULT_BINRPC_LIMITS: BinrpcLimits = {
  maxFrameBytes: KAMAILIO_STREAM_BUFFER_BYTES,
  maxDepth: 8,
  maxRecords: 1024,
};

/** A param's record type, for callers that treat ints, doubles and strings apart. */
export type BinrpcParamKind = BinrpcRecord["type"];

/** A decoded request. */
export interface BinrpcRequest {
  /** The cookie the reply must carry back. */
  readonly cookie: number;
  /** The method name. */
  readonly method: string;
  /** The params as JS values: numbers, strings, Uint8Arrays, objects, arrays. */
  readonly params: readonly unknown[];
  /** Each param's record type, in the same order. */
  readonly kinds: readonly BinrpcParamKind[];
}

/** What decoding the start of a buffer gives. */
export type RequestResult =
  /** The frame is incomplete: read at least `need` more bytes (never more than the limit). */
  | { readonly kind: "more"; readonly need: number }
  /** A whole request; `frameBytes` bytes of the buffer were its frame. */
  | { readonly kind: "request"; readonly request: BinrpcRequest; readonly frameBytes: number }
  /** A protocol error: answer `encodeFault(...)` with it, then close (as Kamailio does). */
  | { readonly kind: "error"; readonly error: BinrpcError };

/** Turns a record into a JS value; struct members by name, safely (no prototype setters). */
export function recordValue(record: BinrpcRecord): unknown {
  switch (record.type) {
    case "struct": {
      const out: Record<string, unknown> = {};
      for (const member of record.members) {
        Object.defineProperty(out, member.name ?? "", {
          value: recordValue(member.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    case "array":
      return record.items.map(recordValue);
    default:
      return record.value;
  }
}

/**
 * Decodes the request frame at the start of `buf`. Never throws; a frame
 * whose header declares more than `limits.maxFrameBytes` is an error at
 * once, so the caller never buffers more than that.
 */
export function decodeRequest(
  buf: Uint8Array,
  limits: BinrpcLimits = DEFAULT_BINRPC_LIMITS,
): RequestResult {
  try {
    return decode(buf, limits);
  } catch (e) {
    return { kind: "error", error: binrpcError("internal", `internal error: ${String(e)}`) };
  }
}

function decode(buf: Uint8Array, limits: BinrpcLimits): RequestResult {
  const read = readHeader(buf);
  if (read.kind !== "header") return read;
  const { header } = read;
  const error = (kind: BinrpcError["kind"], message: string): RequestResult => ({
    kind: "error",
    error: binrpcError(kind, message, header.cookie),
  });
  if (header.type !== FrameType.REQUEST) {
    return error(
      "unexpected_frame_type",
      `bad request: a frame of type ${header.type}, not a request`,
    );
  }
  const frameBytes = header.headerBytes + header.bodyBytes;
  if (frameBytes > limits.maxFrameBytes) {
    return error(
      "frame_too_large",
      `bad request: a frame of ${frameBytes} bytes (at most ${limits.maxFrameBytes})`,
    );
  }
  if (buf.length < frameBytes) return { kind: "more", need: frameBytes - buf.length };
  const body = buf.subarray(header.headerBytes, frameBytes);
  const reader = new RecordReader(body, { ...limits, lenient: false }, header.cookie);
  const method = reader.readMethod();
  if (!method.ok) return { kind: "error", error: method.error };
  const rest = reader.readAll();
  if (!rest.ok) return { kind: "error", error: rest.error };
  const request: BinrpcRequest = {
    cookie: header.cookie,
    method: method.method,
    params: rest.records.map(recordValue),
    kinds: rest.records.map((r) => r.type),
  };
  return { kind: "request", request, frameBytes };
}

/** One param as kamcmd sends it: a string, an int, or a number sent as a double. */
export type KamcmdParam = string | number;

/**
 * Encodes a request as kamcmd does: the method and each param (an int32
 * number as an int, another number as a double, a string as a string).
 * Returns null when the body would pass `maxBodyBytes` (kamcmd's is 128 KiB).
 */
export function encodeRequest(
  cookie: number,
  method: string,
  params: readonly KamcmdParam[],
  maxBodyBytes = 128 * 1024,
): Uint8Array | null {
  const body = new RecordWriter(maxBodyBytes);
  body.str(method);
  for (const param of params) {
    if (typeof param === "string") body.str(param);
    else if (isInt32(param)) body.int(param);
    else if (fitsDouble(param)) body.double(param);
    else body.str(String(param));
  }
  if (body.overflow) return null;
  const head = writeHeader(FrameType.REQUEST, body.length, cookie);
  const frame = new Uint8Array(head.length + body.length);
  frame.set(head);
  frame.set(body.bytes(), head.length);
  return frame;
}
