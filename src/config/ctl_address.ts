/**
 * The addresses of the BINRPC transport (`--rpc-ctl`), as Kamailio's ctl
 * module and kamcmd's `-s` write them: `unix:PATH` (or `unixs:PATH`) for a
 * Unix stream socket, `tcp:HOST:PORT`, `udp:HOST:PORT`. BINRPC has no
 * authentication: TCP and UDP are served on loopback addresses only.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { isLoopback, parseHostPort } from "../base/host_port.ts";
import { quoteValue } from "../shared/quote.ts";

/** Where the BINRPC transport listens. */
export type CtlAddress =
  | { readonly kind: "unix"; readonly path: string; readonly text: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number; readonly text: string }
  | { readonly kind: "udp"; readonly host: string; readonly port: number; readonly text: string };

const FORMS = "unix:PATH, tcp:HOST:PORT or udp:HOST:PORT";

/** Parses one `--rpc-ctl` value; throws a {@link ConfigError} naming the problem. */
export function parseCtlAddress(text: string): CtlAddress {
  const unix = /^unixs?:/i.exec(text);
  if (unix) {
    const path = text.slice(unix[0].length);
    if (path === "") throw new ConfigError(`--rpc-ctl ${unix[0]}PATH needs a PATH`);
    return { kind: "unix", path, text };
  }
  if (/^unixd:/i.test(text)) {
    throw new ConfigError(
      `--rpc-ctl ${quoteValue(text)}: unixd: (BINRPC on Unix datagrams) is not served; ` +
        `use ${FORMS}`,
    );
  }
  const net = /^(tcp|udp):/i.exec(text);
  if (!net) throw new ConfigError(`--rpc-ctl must be ${FORMS}, got ${quoteValue(text)}`);
  const kind = net[1].toLowerCase() as "tcp" | "udp";
  const address = parseHostPort(text.slice(net[0].length));
  if (address === null) {
    throw new ConfigError(
      `--rpc-ctl ${kind}: must be ${kind}:HOST:PORT (IPv6 in brackets, port 0-65535), ` +
        `got ${quoteValue(text)}`,
    );
  }
  if (!isLoopback(address.host)) {
    throw new ConfigError(
      `--rpc-ctl ${quoteValue(text)}: not a loopback address; BINRPC has no authentication, ` +
        "so it is served on loopback (or unix:PATH) only",
    );
  }
  return { kind, host: address.host, port: address.port, text } as CtlAddress;
}

/** Reads every `--rpc-ctl ADDR`; refuses one given twice. */
export function parseCtlAddresses(values: readonly string[]): CtlAddress[] {
  const addresses = values.map(parseCtlAddress);
  const seen = new Set<string>();
  for (const address of addresses) {
    const key = address.kind === "unix"
      ? address.path
      : `${address.kind}:${address.host}:${address.port}`;
    if (seen.has(key)) throw new ConfigError(`--rpc-ctl ${address.text} is given twice`);
    seen.add(key);
  }
  return addresses;
}
