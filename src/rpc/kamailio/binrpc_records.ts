/**
 * Reading the records of a BINRPC frame body into a typed tree, bounded in
 * depth and count, with every malformed byte reported as a
 * {@link BinrpcError} (never thrown). Only the body's own bytes are looked
 * at: a declared length never allocates, it is checked against what is there.
 *
 * A record starts with one byte: the low nibble is its type, the high nibble
 * its size. When the size's top bit is set (not for doubles), the length
 * follows on `size & 7` big-endian bytes. Structs and arrays are a start tag
 * (`0x03`, `0x04`), their contents and an end tag (`0x83`, `0x84`).
 *
 * @module
 */

import { type BinrpcError, binrpcError } from "./binrpc_error.ts";
import { hex } from "./binrpc_header.ts";
import { EXTENDED_LENGTH, RecordType } from "./binrpc_wire.ts";

/** One value of a frame. */
export type BinrpcRecord =
  | { readonly type: "int"; readonly value: number }
  | { readonly type: "double"; readonly value: number }
  | { readonly type: "str"; readonly value: string }
  | { readonly type: "bytes"; readonly value: Uint8Array }
  | { readonly type: "struct"; readonly members: readonly BinrpcMember[] }
  | { readonly type: "array"; readonly items: readonly BinrpcRecord[] };

/** A struct's member; `name` is null for a plain value inside a struct (see `lenient`). */
export interface BinrpcMember {
  /** The member's name, or null when the struct holds a plain value. */
  readonly name: string | null;
  /** The member's value. */
  readonly value: BinrpcRecord;
}

/** Bounds on what one body may hold. */
export interface RecordLimits {
  /** Structs and arrays nest at most this deep (a top-level struct is depth 1). */
  readonly maxDepth: number;
  /** At most this many records, names and tags included. */
  readonly maxRecords: number;
  /**
   * Accept plain values inside structs, as Kamailio writes arrays, and NUL
   * bytes inside strings (replies only; requests are strict).
   */
  readonly lenient: boolean;
}

/** What reading a body gives. */
export type RecordsResult =
  | { readonly ok: true; readonly records: readonly BinrpcRecord[] }
  | { readonly ok: false; readonly error: BinrpcError };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A record's first byte and length, read. */
interface Head {
  readonly type: number;
  readonly endTag: boolean;
  readonly length: number;
  /** Where the record's value starts. */
  readonly valueAt: number;
}

/** Thrown inside this file only, turned into a result at its edge. */
class Stop {
  constructor(readonly error: BinrpcError) {}
}

/** Reads records from a complete body. `cookie` goes into any error. */
export class RecordReader {
  #pos = 0;
  #count = 0;

  /** A reader over `body`, the whole body of one frame. */
  constructor(
    private readonly body: Uint8Array,
    private readonly limits: RecordLimits,
    private readonly cookie: number,
  ) {}

  /** Reads every record left in the body. */
  readAll(): RecordsResult {
    try {
      const records: BinrpcRecord[] = [];
      while (this.#pos < this.body.length) records.push(this.#value(0));
      return { ok: true, records };
    } catch (e) {
      if (e instanceof Stop) return { ok: false, error: e.error };
      const message = `internal error reading a record: ${String(e)}`;
      return { ok: false, error: binrpcError("internal", message, this.cookie) };
    }
  }

  /** True when every byte of the body has been read. */
  get done(): boolean {
    return this.#pos >= this.body.length;
  }

  /** Reads one top-level string record: the method of a request. */
  readMethod(): { ok: true; method: string } | { ok: false; error: BinrpcError } {
    if (this.#pos >= this.body.length) {
      return { ok: false, error: this.#error("bad_method", "bad request: no method (empty body)") };
    }
    const first = this.body[this.#pos] & 0x0f;
    if (first !== RecordType.STR) {
      const message = `bad request: the method must be a string record, not type ${first}`;
      return { ok: false, error: this.#error("bad_method", message) };
    }
    try {
      const method = this.#value(0);
      if (method.type === "str" && method.value.length > 0) {
        return { ok: true, method: method.value };
      }
      return { ok: false, error: this.#error("bad_method", "bad request: empty method name") };
    } catch (e) {
      if (e instanceof Stop) return { ok: false, error: e.error };
      const message = `internal error reading the method: ${String(e)}`;
      return { ok: false, error: binrpcError("internal", message, this.cookie) };
    }
  }

  #error(kind: BinrpcError["kind"], message: string): BinrpcError {
    return binrpcError(kind, message, this.cookie);
  }

  #fail(kind: BinrpcError["kind"], what: string, at: number): never {
    throw new Stop(this.#error(kind, `bad request: ${what} at body offset ${at}`));
  }

  #head(): Head {
    const at = this.#pos;
    if (++this.#count > this.limits.maxRecords) {
      this.#fail("too_many_records", `more than ${this.limits.maxRecords} records`, at);
    }
    const byte = this.body[at];
    const type = byte & 0x0f;
    const size = byte >> 4;
    if (type > RecordType.BYTES) this.#fail("bad_record", `unknown record type ${type}`, at);
    if (type === RecordType.DOUBLE) {
      if (size > 8) this.#fail("bad_record", `a double of ${size} bytes (at most 8)`, at);
      return this.#withLength(type, false, size, at + 1, at);
    }
    if ((size & EXTENDED_LENGTH) === 0) return this.#withLength(type, false, size, at + 1, at);
    const lengthBytes = size & 7;
    if (lengthBytes === 0) {
      if (type !== RecordType.STRUCT && type !== RecordType.ARRAY) {
        this.#fail("bad_record", `reserved record head 0x${hex(byte)}`, at);
      }
      return this.#withLength(type, true, 0, at + 1, at);
    }
    if (lengthBytes > 4) {
      this.#fail("bad_record", `a length on ${lengthBytes} bytes (at most 4)`, at);
    }
    if (at + 1 + lengthBytes > this.body.length) {
      this.#fail("truncated_record", "a record length past the end of the frame", at);
    }
    let length = 0;
    for (let i = 1; i <= lengthBytes; i++) length = length * 256 + this.body[at + i];
    return this.#withLength(type, false, length, at + 1 + lengthBytes, at);
  }

  #withLength(type: number, endTag: boolean, length: number, valueAt: number, at: number): Head {
    if (valueAt + length > this.body.length) {
      this.#fail("truncated_record", `a record of ${length} bytes past the end of the frame`, at);
    }
    return { type, endTag, length, valueAt };
  }

  /** Reads one value (not a name, not an end tag) at `depth` containers deep. */
  #value(depth: number): BinrpcRecord {
    const at = this.#pos;
    const head = this.#head();
    this.#pos = head.valueAt + head.length;
    switch (head.type) {
      case RecordType.INT:
        if (head.length > 4) this.#fail("bad_record", `an int of ${head.length} bytes`, at);
        return { type: "int", value: this.#int(head) };
      case RecordType.DOUBLE:
        return { type: "double", value: this.#double(head) };
      case RecordType.STR:
        return { type: "str", value: this.#string(head, at) };
      case RecordType.BYTES:
        return { type: "bytes", value: this.body.slice(head.valueAt, this.#pos) };
      case RecordType.AVP:
        return this.#fail("bad_record", "a struct member name outside a struct", at);
    }
    if (head.endTag) return this.#fail("bad_record", "an end tag with nothing open", at);
    if (head.length !== 0) this.#fail("bad_record", "a start tag with a length", at);
    if (depth + 1 > this.limits.maxDepth) {
      this.#fail("too_deep", `structs and arrays nested deeper than ${this.limits.maxDepth}`, at);
    }
    return head.type === RecordType.STRUCT ? this.#struct(depth + 1) : this.#array(depth + 1);
  }

  #struct(depth: number): BinrpcRecord {
    const members: BinrpcMember[] = [];
    for (;;) {
      const at = this.#pos;
      if (at >= this.body.length) this.#fail("truncated_record", "a struct without its end", at);
      const type = this.body[at] & 0x0f;
      if (type === RecordType.AVP) {
        const head = this.#head();
        this.#pos = head.valueAt + head.length;
        const name = this.#string(head, at);
        if (this.#pos >= this.body.length) {
          this.#fail("truncated_record", "a struct member without a value", this.#pos);
        }
        if ((this.body[this.#pos] & 0x0f) === RecordType.AVP) {
          this.#fail("bad_record", "a struct member whose value is a name", this.#pos);
        }
        members.push({ name, value: this.#value(depth) });
      } else if (this.body[at] === (0x80 | RecordType.STRUCT)) {
        this.#head();
        this.#pos = at + 1;
        return { type: "struct", members };
      } else if (this.body[at] === (0x80 | RecordType.ARRAY)) {
        this.#fail("bad_record", "an array end tag closing a struct", at);
      } else if (this.limits.lenient) {
        members.push({ name: null, value: this.#value(depth) });
      } else {
        this.#fail("bad_record", "a struct member without a name", at);
      }
    }
  }

  #array(depth: number): BinrpcRecord {
    const items: BinrpcRecord[] = [];
    for (;;) {
      const at = this.#pos;
      if (at >= this.body.length) this.#fail("truncated_record", "an array without its end", at);
      if (this.body[at] === (0x80 | RecordType.ARRAY)) {
        this.#head();
        this.#pos = at + 1;
        return { type: "array", items };
      }
      if (this.body[at] === (0x80 | RecordType.STRUCT)) {
        this.#fail("bad_record", "a struct end tag closing an array", at);
      }
      items.push(this.#value(depth));
    }
  }

  #int(head: Head): number {
    let value = 0;
    for (let i = 0; i < head.length; i++) value = value * 256 + this.body[head.valueAt + i];
    return head.length === 4 ? value | 0 : value;
  }

  #double(head: Head): number {
    let value = 0n;
    for (let i = 0; i < head.length; i++) {
      value = (value << 8n) | BigInt(this.body[head.valueAt + i]);
    }
    if (head.length === 8) value = BigInt.asIntN(64, value);
    return Number(value) / 1000;
  }

  #string(head: Head, at: number): string {
    const end = head.valueAt + head.length;
    if (head.length === 0 || this.body[end - 1] !== 0) {
      this.#fail("bad_string", "a string without its terminating NUL", at);
    }
    const bytes = this.body.subarray(head.valueAt, end - 1);
    if (!this.limits.lenient && bytes.includes(0)) {
      this.#fail("bad_string", "a string holding a NUL byte", at);
    }
    try {
      return utf8.decode(bytes);
    } catch {
      return this.#fail("bad_string", "a string that is not UTF-8", at);
    }
  }
}
