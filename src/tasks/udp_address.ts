/**
 * The `sockaddr` of a UDP exec task: `udp:HOST:PORT`, with IPv6 hosts in
 * brackets (`udp:[::1]:9000`).
 *
 * @module
 */

import { ConfigError } from "../shared/errors.ts";

/** A UDP address to bind. */
export interface UdpAddress {
  /** The host to bind, an IP address or a name. */
  readonly host: string;
  /** The port, 0-65535 (0: any free port). */
  readonly port: number;
  /** The sockaddr text as given, passed to the task's function. */
  readonly text: string;
}

/** Parses `udp:HOST:PORT`; throws a {@link ConfigError} naming the problem. */
export function parseUdpAddress(text: string): UdpAddress {
  const match = /^udp:(?:\[([^\]]+)\]|([^:\[\]]+)):([0-9]+)$/i.exec(text);
  if (match === null) {
    throw new ConfigError(
      `sockaddr must be udp:HOST:PORT (IPv6 in brackets), got ${JSON.stringify(text)}`,
    );
  }
  const port = Number(match[3]);
  if (port > 65535) throw new ConfigError(`sockaddr port must be at most 65535, got ${match[3]}`);
  return { host: match[1] ?? match[2], port, text };
}
