/**
 * `HOST:PORT` as users type it (IPv6 in brackets: `[::1]:9090`), and whether
 * a host is a loopback address, for the listeners that default to loopback.
 *
 * @module
 */

/** A host and a port. */
export interface HostPort {
  /** An IP address or a name, without brackets. */
  readonly host: string;
  /** 0-65535 (0: any free port). */
  readonly port: number;
}

/** Parses `HOST:PORT`; null when the text is not of that form or the port is over 65535. */
export function parseHostPort(text: string): HostPort | null {
  const match = /^(?:\[([^\]]+)\]|([^:\[\]]+)):([0-9]+)$/.exec(text);
  if (match === null || Number(match[3]) > 65535) return null;
  return { host: match[1] ?? match[2], port: Number(match[3]) };
}

/** True for `localhost`, 127.0.0.0/8, `::1` and IPv4-mapped 127.x addresses. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1" ||
    /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
