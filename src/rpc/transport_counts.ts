/**
 * The counters every RPC transport keeps as it serves (a field increment
 * each): connections, requests, parse errors, datagrams too large or
 * unanswered. The host's statistics hold one set per transport.
 *
 * @module
 */

/**
 * How a request reached the host: the stream socket, a `--rpc-dgram`
 * endpoint (Unix or UDP), Kamailio's BINRPC (`--rpc-ctl`, every address) or
 * its jsonrpcs FIFO (`--rpc-fifo`).
 */
export type Transport = "stream" | "unix_dgram" | "udp" | "ctl" | "fifo";

/** The transports that take connections (and count accepted, refused and evicted ones). */
export const CONNECTED: readonly Transport[] = ["stream", "ctl"];

/** Counters of one RPC transport. */
export class TransportCounts {
  /** Connections accepted (stream, ctl). */
  accepted = 0;
  /** Connections refused past `--max-connections` (stream, ctl). */
  refused = 0;
  /** Connections closed by the host for want of progress (stream, ctl). */
  evicted = 0;
  /** Requests read (each element of a JSON-RPC batch counts). */
  requests = 0;
  /** Lines, datagrams, frames or documents that were not a request (no JSON, a bad BINRPC frame). */
  parseErrors = 0;
  /** Datagrams, or their answers, larger than one datagram may be; FIFO documents over the size read. */
  tooLarge = 0;
  /** Answers that could not be sent back (datagram, ctl over UDP, a reply FIFO not written). */
  unanswered = 0;
}
