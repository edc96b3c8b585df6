/**
 * The BINRPC frame header: reading it from the first bytes of a buffer and
 * writing one the way Kamailio does (the fewest length and cookie bytes that
 * hold the values, at least one each).
 *
 * ```
 * byte 0   0xA1                       magic 0xA, version 1
 * byte 1   TTTT LL CC                 frame type, length bytes - 1, cookie bytes - 1
 * then     LL+1 bytes                 body length, big-endian
 * then     CC+1 bytes                 cookie, big-endian
 * ```
 *
 * @module
 */

import { type BinrpcError, binrpcError } from "./binrpc_error.ts";
import { BINRPC_FIRST_BYTE, BINRPC_MIN_HEADER_BYTES, FrameType } from "./binrpc_wire.ts";

/** A frame header that was read. */
export interface BinrpcHeader {
  /** The frame type: {@link FrameType}'s REQUEST, REPLY or FAULT. */
  readonly type: number;
  /** The body's length in bytes. */
  readonly bodyBytes: number;
  /** The cookie, an unsigned 32-bit number the answer must carry back. */
  readonly cookie: number;
  /** The header's own length in bytes (4 to 10). */
  readonly headerBytes: number;
}

/** What reading a header gives. */
export type HeaderResult =
  | { readonly kind: "more"; readonly need: number }
  | { readonly kind: "header"; readonly header: BinrpcHeader }
  | { readonly kind: "error"; readonly error: BinrpcError };

/** Reads an unsigned big-endian number of 1 to 4 bytes. */
function readUnsigned(buf: Uint8Array, at: number, bytes: number): number {
  let value = 0;
  for (let i = 0; i < bytes; i++) value = value * 256 + buf[at + i];
  return value;
}

/**
 * Reads the header at the start of `buf`. Asks for more bytes while the
 * header is incomplete; a first byte or a frame type that is wrong is an
 * error at once (cookie 0, as Kamailio answers it).
 */
export function readHeader(buf: Uint8Array): HeaderResult {
  if (buf.length >= 1 && buf[0] !== BINRPC_FIRST_BYTE) {
    return {
      kind: "error",
      error: binrpcError(
        "bad_magic",
        `bad request: not a BINRPC frame (first byte 0x${hex(buf[0])}, expected 0xa1)`,
      ),
    };
  }
  if (buf.length >= 2) {
    const type = buf[1] >> 4;
    if (type !== FrameType.REQUEST && type !== FrameType.REPLY && type !== FrameType.FAULT) {
      return {
        kind: "error",
        error: binrpcError("bad_frame_type", `bad request: unknown frame type ${type}`),
      };
    }
  }
  if (buf.length < BINRPC_MIN_HEADER_BYTES) {
    return { kind: "more", need: BINRPC_MIN_HEADER_BYTES - buf.length };
  }
  const lengthBytes = ((buf[1] >> 2) & 3) + 1;
  const cookieBytes = (buf[1] & 3) + 1;
  const headerBytes = 2 + lengthBytes + cookieBytes;
  if (buf.length < headerBytes) return { kind: "more", need: headerBytes - buf.length };
  return {
    kind: "header",
    header: {
      type: buf[1] >> 4,
      bodyBytes: readUnsigned(buf, 2, lengthBytes),
      cookie: readUnsigned(buf, 2 + lengthBytes, cookieBytes),
      headerBytes,
    },
  };
}

/** How many bytes an unsigned 32-bit value needs, at least 1. */
export function unsignedBytes(value: number): number {
  if (value > 0xffffff) return 4;
  if (value > 0xffff) return 3;
  if (value > 0xff) return 2;
  return 1;
}

/**
 * Writes a header for a body of `bodyBytes` bytes, as Kamailio writes it.
 * `cookie` is taken as an unsigned 32-bit number; `bodyBytes` must be below 2^32.
 */
export function writeHeader(type: number, bodyBytes: number, cookie: number): Uint8Array {
  const cookieValue = cookie >>> 0;
  const lengthBytes = unsignedBytes(bodyBytes);
  const cookieBytes = unsignedBytes(cookieValue);
  const out = new Uint8Array(2 + lengthBytes + cookieBytes);
  out[0] = BINRPC_FIRST_BYTE;
  out[1] = (type << 4) | ((lengthBytes - 1) << 2) | (cookieBytes - 1);
  writeUnsigned(out, 2, lengthBytes, bodyBytes);
  writeUnsigned(out, 2 + lengthBytes, cookieBytes, cookieValue);
  return out;
}

function writeUnsigned(out: Uint8Array, at: number, bytes: number, value: number): void {
  let rest = value;
  for (let i = bytes - 1; i >= 0; i--) {
    out[at + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
}

/** Two hex digits. */
export function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}
