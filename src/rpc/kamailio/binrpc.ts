/**
 * Kamailio's BINRPC protocol (the `ctl` module's, spoken by `kamcmd`), as
 * pure functions over bytes: no I/O. A transport feeds
 * {@link decodeRequest} the bytes it has read; on `more` it reads on (the
 * frame never exceeds the limit), on `request` it calls the method and
 * writes {@link encodeReply}'s frame (or, when that fails,
 * {@link encodeFault}'s), on `error` it writes
 * `encodeFault(error.cookie, error.faultCode, error.message)` and closes the
 * connection, as Kamailio does. docs/kamailio-protocols.md has the format.
 *
 * @example
 * ```ts
 * import { decodeRequest, encodeFault, encodeReply } from "./binrpc.ts";
 *
 * declare const bytes: Uint8Array; // what the connection has read so far
 * const got = decodeRequest(bytes);
 * if (got.kind === "request") {
 *   const reply = encodeReply(got.request.cookie, "kamailio 5.6.3");
 *   const frame = reply.ok ? reply.frame : encodeFault(got.request.cookie, 500, reply.error.message);
 * }
 * ```
 *
 * @module
 */

export { type BinrpcError, type BinrpcErrorKind } from "./binrpc_error.ts";
export {
  type BinrpcLimits,
  type BinrpcParamKind,
  type BinrpcRequest,
  decodeRequest,
  DEFAULT_BINRPC_LIMITS,
  encodeRequest,
  type KamcmdParam,
  recordValue,
  type RequestResult,
} from "./binrpc_request.ts";
export {
  decodeReply,
  DEFAULT_REPLY_LIMITS,
  encodeFault,
  encodeReply,
  type EncodeResult,
  type ReplyLimits,
  type ReplyResult,
  unknownMethodFault,
} from "./binrpc_reply.ts";
export { type BinrpcMember, type BinrpcRecord } from "./binrpc_records.ts";
