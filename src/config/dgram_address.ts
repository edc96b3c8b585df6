/**
 * The addresses of the datagram JSON-RPC transport (`--rpc-dgram`), as
 * Kamailio's jsonrpcs writes them: `unix:PATH` or `udp:HOST:PORT`.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { isLoopback } from "../base/host_port.ts";
import { parseUdpAddress } from "./udp_address.ts";
import { quoteValue } from "../shared/quote.ts";

/** Where the datagram transport listens. */
export type DgramAddress =
  | { readonly kind: "unix"; readonly path: string; readonly text: string }
  | { readonly kind: "udp"; readonly host: string; readonly port: number; readonly text: string };

/**
 * Parses one `--rpc-dgram` value. A UDP address that is not loopback needs
 * `isPublic` (`--rpc-dgram-public`): the transport has no authentication.
 */
export function parseDgramAddress(text: string, isPublic: boolean): DgramAddress {
  if (text.startsWith("unix:")) {
    const path = text.slice(5);
    if (path === "") throw new ConfigError("--rpc-dgram unix:PATH needs a PATH");
    return { kind: "unix", path, text };
  }
  if (!/^udp:/i.test(text)) {
    throw new ConfigError(
      `--rpc-dgram must be unix:PATH or udp:HOST:PORT, got ${quoteValue(text)}`,
    );
  }
  const { host, port } = parseUdpAddress(text, "--rpc-dgram");
  if (!isPublic && !isLoopback(host)) {
    throw new ConfigError(
      `--rpc-dgram ${text}: not a loopback address; this transport has no authentication, ` +
        "so give --rpc-dgram-public to serve it there",
    );
  }
  return { kind: "udp", host, port, text };
}
