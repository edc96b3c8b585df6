/**
 * The UDP endpoint of the datagram transport (`--rpc-dgram udp:HOST:PORT`),
 * through `node:dgram`, which needs no unstable flag.
 *
 * @module
 */

import dgram from "node:dgram";
import { ConfigError } from "../base/errors.ts";
import { messageOf } from "../shared/error_text.ts";
import { log } from "../base/log.ts";
import type { DatagramEndpoint, DatagramHandler } from "./dgram_endpoint.ts";

/** Binds a UDP socket; throws a {@link ConfigError} when it cannot. */
export async function listenUdpDatagram(
  host: string,
  port: number,
  text: string,
): Promise<DatagramEndpoint> {
  const socket = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, host, () => {
        socket.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    socket.close();
    throw new ConfigError(`--rpc-dgram ${text}: cannot bind: ${messageOf(error)}`);
  }
  socket.on("error", (error) => log("rpc").warn("{text}: {error}", { text, error }));
  const bound = `udp:${host.includes(":") ? `[${host}]` : host}:${socket.address().port}`;
  log("rpc").info("datagram JSON-RPC on {address}", { address: bound });
  return new UdpEndpoint(socket);
}

class UdpEndpoint implements DatagramEndpoint {
  #socket: dgram.Socket;
  #closed = false;

  constructor(socket: dgram.Socket) {
    this.#socket = socket;
  }

  serve(handler: DatagramHandler): Promise<void> {
    this.#socket.on("message", (data, from) => {
      handler(
        data,
        (answer) => this.#send(answer, from.port, from.address),
        `${from.address}:${from.port}`,
      );
    });
    return Promise.resolve();
  }

  #send(answer: Uint8Array, port: number, address: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#socket.send(answer, port, address, (error) => error ? reject(error) : resolve());
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
  }
}
