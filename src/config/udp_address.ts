/**
 * The `sockaddr` of a UDP exec task: `udp:HOST:PORT`, with IPv6 hosts in
 * brackets (`udp:[::1]:9000`).
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { parseHostPort } from "../base/host_port.ts";
import { quoteValue } from "../shared/quote.ts";

/** A UDP address to bind. */
export interface UdpAddress {
  /** The host to bind, an IP address or a name. */
  readonly host: string;
  /** The port, 0-65535 (0: any free port). */
  readonly port: number;
  /** The sockaddr text as given, passed to the task's function. */
  readonly text: string;
}

/** Parses `udp:HOST:PORT`; throws a {@link ConfigError} naming the problem (as `label`). */
export function parseUdpAddress(text: string, label = "sockaddr"): UdpAddress {
  const address = /^udp:/i.test(text) ? parseHostPort(text.slice(4)) : null;
  if (address === null) {
    const port = /:([0-9]+)$/.exec(text)?.[1];
    if (/^udp:/i.test(text) && port !== undefined && Number(port) > 65535) {
      throw new ConfigError(`${label} port must be at most 65535, got ${port}`);
    }
    throw new ConfigError(
      `${label} must be udp:HOST:PORT (IPv6 in brackets), got ${quoteValue(text)}`,
    );
  }
  return { ...address, text };
}
