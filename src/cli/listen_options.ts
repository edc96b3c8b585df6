/**
 * The command line's listeners beyond the stream socket: `--rpc-dgram`
 * (repeatable) with `--rpc-dgram-public`, and `--metrics` with
 * `--metrics-public`. Each refuses a non-loopback address unless its
 * `-public` flag is given.
 *
 * @module
 */

import { type DgramAddress, parseDgramAddress } from "../config/dgram_address.ts";
import { ConfigError } from "../base/errors.ts";
import { type HostPort, isLoopback, parseHostPort } from "../base/host_port.ts";
import { quoteValue } from "../shared/quote.ts";

/** Reads every `--rpc-dgram ADDR`; throws a {@link ConfigError} naming a bad one. */
export function dgramOption(
  values: readonly string[] | undefined,
  isPublic: boolean,
): DgramAddress[] {
  if (isPublic && (values ?? []).length === 0) {
    throw new ConfigError("--rpc-dgram-public needs --rpc-dgram udp:HOST:PORT");
  }
  const addresses: DgramAddress[] = (values ?? []).map((text) => parseDgramAddress(text, isPublic));
  const seen = new Set<string>();
  for (const address of addresses) {
    const key = address.kind === "unix" ? address.path : `${address.host}:${address.port}`;
    if (seen.has(key)) throw new ConfigError(`--rpc-dgram ${address.text} is given twice`);
    seen.add(key);
  }
  return addresses;
}

/** Reads `--metrics HOST:PORT`; undefined when not given. */
export function metricsOption(value: string | undefined, isPublic: boolean): HostPort | undefined {
  if (value === undefined) {
    if (isPublic) throw new ConfigError("--metrics-public needs --metrics HOST:PORT");
    return undefined;
  }
  const address = parseHostPort(value.trim());
  if (address === null) {
    throw new ConfigError(
      `--metrics must be HOST:PORT (IPv6 in brackets, port 0-65535), got ${quoteValue(value)}`,
    );
  }
  if (!isPublic && !isLoopback(address.host)) {
    throw new ConfigError(
      `--metrics ${value}: not a loopback address; give --metrics-public to serve metrics there`,
    );
  }
  return address;
}
