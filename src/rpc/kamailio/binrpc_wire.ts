/**
 * The numbers of Kamailio's BINRPC wire format (the `ctl` module's protocol,
 * spoken by `kamcmd`): the first byte, the frame types, the record types and
 * the sizes Kamailio 5.6 and kamcmd 1.5 use. docs/kamailio-protocols.md
 * describes the format.
 *
 * @module
 */

/** The first byte of every frame: magic 0xA in the high nibble, version 1 in the low one. */
export const BINRPC_FIRST_BYTE = 0xa1;

/** The smallest header: first byte, flags byte, 1 length byte, 1 cookie byte. */
export const BINRPC_MIN_HEADER_BYTES = 4;

/** The largest header: first byte, flags byte, 4 length bytes, 4 cookie bytes. */
export const BINRPC_MAX_HEADER_BYTES = 10;

/** Frame types, the high nibble of the second byte. */
export const FrameType = {
  /** A call: method name, then params. */
  REQUEST: 0,
  /** A result: zero or more records. */
  REPLY: 1,
  /** An error: an int code, then a string message. */
  FAULT: 3,
} as const;

/** Record types, the low nibble of a record's first byte. */
export const RecordType = {
  /** A signed 32-bit int on 0-4 big-endian bytes. */
  INT: 0,
  /** A string, NUL-terminated; its length counts the NUL. */
  STR: 1,
  /** A fixed-point number: value × 1000 as a 64-bit int on 0-8 bytes. */
  DOUBLE: 2,
  /** A struct: start tag, name/value pairs, end tag. */
  STRUCT: 3,
  /** An array: start tag, values, end tag (Kamailio itself writes arrays as structs). */
  ARRAY: 4,
  /** A struct member's name, NUL-terminated, followed by its value. */
  AVP: 5,
  /** Raw bytes, not NUL-terminated. */
  BYTES: 6,
} as const;

/** The bit of a record's size nibble that says "the length follows on (size & 7) bytes". */
export const EXTENDED_LENGTH = 8;

/** Kamailio's ctl stream buffer: a request frame larger than this is never read (65535). */
export const KAMAILIO_STREAM_BUFFER_BYTES = 65_535;

/** kamcmd's reply buffer: a reply frame larger than this makes kamcmd print "reply too big". */
export const KAMCMD_MAX_REPLY_BYTES = 128 * 1024;

/** kamcmd sends at most this many params after the method. */
export const KAMCMD_MAX_PARAMS = 256;

/** Kamailio writes at most this many bytes of a fault message, its NUL included. */
export const KAMAILIO_MAX_FAULT_BYTES = 256;

/** The string Kamailio writes for a NULL string value; this codec writes it for `null`. */
export const NULL_STRING = "<null string>";
