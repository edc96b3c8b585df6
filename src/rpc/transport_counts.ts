/**
 * The counters every RPC transport keeps as it serves (a field increment
 * each): connections, requests, parse errors, datagrams too large or
 * unanswered. The host's statistics hold one set per transport.
 *
 * @module
 */

/** How a request reached the host. */
export type Transport = "stream" | "unix_dgram" | "udp";

/** Counters of one RPC transport. */
export class TransportCounts {
  /** Connections accepted (stream). */
  accepted = 0;
  /** Connections refused past `--max-connections` (stream). */
  refused = 0;
  /** Connections closed by the host for want of progress (stream). */
  evicted = 0;
  /** JSON-RPC requests read (each element of a batch counts). */
  requests = 0;
  /** Lines or datagrams that were not JSON. */
  parseErrors = 0;
  /** Datagrams, or their answers, larger than one datagram may be (datagram). */
  tooLarge = 0;
  /** Answers that could not be sent back to the sender (datagram). */
  unanswered = 0;
}
