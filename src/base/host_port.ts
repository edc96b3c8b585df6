/**
 * `HOST:PORT` as users type it (IPv6 in brackets: `[::1]:9090`), and whether
 * a host is a loopback address, for the listeners that default to loopback.
 * An IPv4 address is read as the system's resolver reads it (`inet_aton`):
 * `127.1`, `0x7f.1`, `0177.0.0.1` and `2130706433` are all 127.0.0.1, and are
 * bound as such.
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

/** One part of an `inet_aton` address: decimal, octal (leading 0) or hex (0x); null if neither. */
function atonPart(text: string): number | null {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return parseInt(text.slice(2), 16);
  if (/^0[0-7]*$/.test(text)) return parseInt(text, 8);
  if (/^[1-9][0-9]*$/.test(text)) return Number(text);
  return null;
}

/**
 * The four bytes of an IPv4 address in any form `inet_aton` takes (1 to 4
 * parts, the last filling the bytes left); null when `text` is not one.
 */
export function ipv4Bytes(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length > 4 || parts.some((part) => part.length > 12)) return null;
  const values = parts.map(atonPart);
  if (values.some((value) => value === null)) return null;
  const numbers = values as number[];
  const last = numbers.pop()!;
  if (numbers.some((value) => value > 255) || last >= 2 ** (8 * (4 - numbers.length))) return null;
  const bytes = [...numbers];
  for (let shift = 8 * (3 - numbers.length); shift >= 0; shift -= 8) {
    bytes.push(Math.floor(last / 2 ** shift) % 256);
  }
  return bytes;
}

/** The eight 16-bit words of an IPv6 address (`::` and a dotted tail allowed); null if not one. */
export function ipv6Words(text: string): number[] | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const words = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const groups = half.split(":");
    for (const [i, group] of groups.entries()) {
      if (i === groups.length - 1 && group.includes(".")) {
        const bytes = /^\d{1,3}(\.\d{1,3}){3}$/.test(group) ? group.split(".").map(Number) : null;
        if (bytes === null || bytes.some((byte) => byte > 255)) return null;
        out.push(bytes[0] * 256 + bytes[1], bytes[2] * 256 + bytes[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(group)) out.push(parseInt(group, 16));
      else return null;
    }
    return out;
  };
  const head = words(halves[0]), tail = halves.length === 2 ? words(halves[1]) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  return [...head, ...new Array(halves.length === 2 ? missing : 0).fill(0), ...tail];
}

/**
 * True for `localhost`, an IPv4 address in 127.0.0.0/8 (in any form the
 * resolver reads, `127.1` too), `::1`, and IPv4-mapped 127.x in IPv6.
 */
export function isLoopback(host: string): boolean {
  if (host.toLowerCase() === "localhost") return true;
  const v4 = ipv4Bytes(host);
  if (v4 !== null) return v4[0] === 127;
  const v6 = ipv6Words(host);
  if (v6 === null) return false;
  const zeros = (n: number) => v6.slice(0, n).every((word) => word === 0);
  return (zeros(7) && v6[7] === 1) || (zeros(5) && v6[5] === 0xffff && v6[6] >> 8 === 127);
}
