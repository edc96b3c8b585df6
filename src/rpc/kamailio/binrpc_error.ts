/**
 * What goes wrong with a BINRPC frame, as a value: the decoders and the
 * encoder return one of these instead of throwing, and the caller answers it
 * with one fault frame (`encodeFault(error.cookie, error.faultCode,
 * error.message)`) and, as Kamailio does after a protocol error, closes the
 * connection.
 *
 * @module
 */

/** Every way a frame can be wrong. */
export type BinrpcErrorKind =
  /** The first byte is not 0xA1 (magic 0xA, version 1). */
  | "bad_magic"
  /** The frame type is none of request, reply, fault. */
  | "bad_frame_type"
  /** A well-formed reply or fault was sent where a request was expected, or the reverse. */
  | "unexpected_frame_type"
  /** The header declares more bytes than the limit allows. */
  | "frame_too_large"
  /** A record's head byte is not a valid record (unknown type, reserved size, bad tag). */
  | "bad_record"
  /** A record claims more bytes than are left in the frame. */
  | "truncated_record"
  /** A string or name is not NUL-terminated, holds a NUL, or is not UTF-8. */
  | "bad_string"
  /** Structs and arrays nest deeper than the limit. */
  | "too_deep"
  /** More records than the limit. */
  | "too_many_records"
  /** The request's first record is missing or is not a string. */
  | "bad_method"
  /** A reply value that BINRPC cannot carry within the limits. */
  | "reply_too_large"
  /** A bug of this codec: an exception it did not expect (never seen; tests look for it). */
  | "internal";

/** A BINRPC protocol error, ready to be answered with one fault. */
export interface BinrpcError {
  /** What is wrong. */
  readonly kind: BinrpcErrorKind;
  /** One line for the client and the log. */
  readonly message: string;
  /** The frame's cookie when the header could be read, else 0 (as Kamailio answers). */
  readonly cookie: number;
  /** The fault code to answer with: 400 for a bad request, 500 for a failure of ours. */
  readonly faultCode: number;
}

/** Makes a {@link BinrpcError}; the fault code follows from the kind. */
export function binrpcError(kind: BinrpcErrorKind, message: string, cookie = 0): BinrpcError {
  const faultCode = kind === "reply_too_large" || kind === "internal" ? 500 : 400;
  return { kind, message, cookie, faultCode };
}
