/**
 * Writing BINRPC records into a bounded body, byte for byte as Kamailio's
 * `binrpc.h` writes them: ints and doubles on the fewest bytes that hold
 * them, strings with their NUL counted in their length, lengths under 8 in
 * the head byte and longer ones on the fewest extra bytes.
 *
 * @module
 */

import { EXTENDED_LENGTH, RecordType } from "./binrpc_wire.ts";

const utf8 = new TextEncoder();

/** True when `value` fits a double record (value × 1000, truncated, as a signed 64-bit int). */
export function fitsDouble(value: number): boolean {
  const fixed = Math.trunc(value * 1000); // NaN and the infinities fail the test below
  return Math.abs(fixed) < 2 ** 63;
}

/** True when `value` is an int Kamailio's int records carry (signed 32-bit). */
export function isInt32(value: number): boolean {
  return Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff;
}

/**
 * A body being written, at most `maxBytes` long. Past that, writes are
 * dropped and {@link RecordWriter.overflow} turns true; nothing throws.
 */
export class RecordWriter {
  #buf: Uint8Array;
  #length = 0;
  #overflow = false;

  /** A writer that keeps at most `maxBytes` bytes. */
  constructor(private readonly maxBytes: number) {
    this.#buf = new Uint8Array(Math.min(256, Math.max(0, maxBytes)));
  }

  /** True once a write did not fit. */
  get overflow(): boolean {
    return this.#overflow;
  }

  /** The bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /** The body written so far (a copy). */
  bytes(): Uint8Array {
    return this.#buf.slice(0, this.#length);
  }

  /** Makes room for `n` more bytes; false (and overflow) when they do not fit. */
  #room(n: number): boolean {
    if (this.#overflow) return false;
    const need = this.#length + n;
    if (need > this.maxBytes) {
      this.#overflow = true;
      return false;
    }
    if (need > this.#buf.length) {
      let size = this.#buf.length * 2 || 256;
      while (size < need) size *= 2;
      const grown = new Uint8Array(Math.min(size, this.maxBytes));
      grown.set(this.#buf.subarray(0, this.#length));
      this.#buf = grown;
    }
    return true;
  }

  #push(byte: number): void {
    this.#buf[this.#length++] = byte;
  }

  /** A signed 32-bit int (callers check {@link isInt32}). */
  int(value: number): void {
    let rest = value >>> 0;
    const bytes: number[] = [];
    while (rest !== 0) {
      bytes.unshift(rest & 0xff);
      rest >>>= 8;
    }
    if (!this.#room(1 + bytes.length)) return;
    this.#push((bytes.length << 4) | RecordType.INT);
    for (const b of bytes) this.#push(b);
  }

  /** A number as Kamailio's fixed-point double: trunc(value × 1000) (callers check {@link fitsDouble}). */
  double(value: number): void {
    let rest = BigInt.asUintN(64, BigInt(Math.trunc(value * 1000)));
    const bytes: number[] = [];
    while (rest !== 0n) {
      bytes.unshift(Number(rest & 0xffn));
      rest >>= 8n;
    }
    if (!this.#room(1 + bytes.length)) return;
    this.#push((bytes.length << 4) | RecordType.DOUBLE);
    for (const b of bytes) this.#push(b);
  }

  /** A string, NUL-terminated. */
  str(value: string): void {
    this.#text(RecordType.STR, value);
  }

  /** A struct member's name, NUL-terminated; its value is written next. */
  name(value: string): void {
    this.#text(RecordType.AVP, value);
  }

  /** Raw bytes, not NUL-terminated. */
  raw(value: Uint8Array): void {
    if (!this.#mark(RecordType.BYTES, value.length) || !this.#room(value.length)) return;
    this.#buf.set(value, this.#length);
    this.#length += value.length;
  }

  /** A struct start (Kamailio writes arrays as structs too). */
  openStruct(): void {
    if (this.#room(1)) this.#push(RecordType.STRUCT);
  }

  /** A struct end. */
  closeStruct(): void {
    if (this.#room(1)) this.#push(0x80 | RecordType.STRUCT);
  }

  #text(type: number, value: string): void {
    // UTF-8 takes at least one byte per UTF-16 unit: a string that cannot fit is not encoded.
    if (this.#length + value.length + 1 > this.maxBytes) {
      this.#overflow = true;
      return;
    }
    const bytes = utf8.encode(value);
    const length = bytes.length + 1;
    if (!this.#mark(type, length) || !this.#room(length)) return;
    this.#buf.set(bytes, this.#length);
    this.#length += bytes.length;
    this.#push(0);
  }

  /** A record head for `length` value bytes: in the size nibble below 8, else on extra bytes. */
  #mark(type: number, length: number): boolean {
    if (length < EXTENDED_LENGTH) {
      if (!this.#room(1)) return false;
      this.#push((length << 4) | type);
      return true;
    }
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
    if (!this.#room(1 + bytes.length)) return false;
    this.#push(((EXTENDED_LENGTH | bytes.length) << 4) | type);
    for (const b of bytes) this.#push(b);
    return true;
  }
}
