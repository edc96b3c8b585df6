/**
 * The Unix datagram endpoint of the datagram transport (`--rpc-dgram
 * unix:PATH`): Deno's `unixpacket` datagram socket, which needs
 * `--unstable-net`, placed with the same care as the stream socket.
 *
 * Deno lets a datagram socket do one thing at a time ("Socket already in
 * use"), and the socket waits in `receive` nearly always, so answers go out
 * from sockets of their own, a few lanes each sending one at a time
 * (`reply_sender.ts`), and only to reply addresses that `reply_address.ts`
 * accepts.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { log } from "../base/log.ts";
import { MAX_DATAGRAM_BYTES } from "./dgram_answer.ts";
import type { DatagramEndpoint, DatagramHandler } from "./dgram_endpoint.ts";
import { ReplyAddressCheck } from "./reply_address.ts";
import { ReplyLanes } from "./reply_sender.ts";
import { ThrottledCount } from "../base/throttled_count.ts";
import { bindSocket, clearSocketPath, type PlacedSocket } from "./socket_file.ts";
import { closeQuietly } from "../base/streams.ts";

/**
 * Binds a Unix datagram socket at `path` with `mode`: a stale socket there
 * is replaced, a live one stops start-up. Throws a {@link ConfigError} when
 * Deno runs without `--unstable-net`.
 */
export async function listenUnixDatagram(path: string, mode: number): Promise<DatagramEndpoint> {
  if (typeof Deno.listenDatagram !== "function") {
    throw new ConfigError(
      `--rpc-dgram unix:${path}: Unix datagram sockets need Deno's --unstable-net flag ` +
        "(deno run --unstable-net …; the deno tasks pass it)",
    );
  }
  if (await clearSocketPath(path) === "stale") {
    log("rpc").info("removed a stale socket at {path}", { path });
  }
  const placed = bindSocket(
    path,
    mode,
    (at) => Deno.listenDatagram({ transport: "unixpacket", path: at }),
  );
  log("rpc").info("datagram JSON-RPC on {address}", { address: `unix:${path}` });
  return new UnixEndpoint(path, placed, new ReplyAddressCheck(mode));
}

/** At most one warning about reply addresses not answered per this many ms. */
const REFUSAL_LOG_MS = 10_000;

class UnixEndpoint implements DatagramEndpoint {
  #path: string;
  #conn: Deno.DatagramConn;
  #placed: PlacedSocket<Deno.DatagramConn>;
  #replies = new ReplyLanes();
  #check: ReplyAddressCheck;
  #refused: ThrottledCount;
  #lastRefusal = "";
  #closed = false;

  constructor(path: string, placed: PlacedSocket<Deno.DatagramConn>, check: ReplyAddressCheck) {
    this.#path = path;
    this.#placed = placed;
    this.#conn = placed.listener;
    this.#check = check;
    this.#refused = new ThrottledCount(REFUSAL_LOG_MS, (count) =>
      log("rpc").warn(
        "{address}: did not answer {count} datagrams whose reply address the sender could " +
          "point at another socket (last: {last}); see docs/security.md, Datagram answers",
        { address: `unix:${path}`, count, last: this.#lastRefusal },
      ));
  }

  /** Sends `answer` to `to`, unless the reply address may not be answered. */
  #answer(answer: Uint8Array, to: string): Promise<void> {
    const refusal = this.#check.refusal(to);
    if (refusal === null) return this.#replies.send(answer, to);
    this.#lastRefusal = `${JSON.stringify(to)}: ${refusal}`;
    this.#refused.add();
    return Promise.reject(new Error(`not answering ${JSON.stringify(to)}: ${refusal}`));
  }

  async serve(handler: DatagramHandler): Promise<void> {
    // One byte more than a request may have: a longer datagram arrives cut, and is refused.
    const buffer = new Uint8Array(MAX_DATAGRAM_BYTES + 1);
    while (!this.#closed) {
      let data: Uint8Array, from: Deno.Addr;
      try {
        [data, from] = await this.#conn.receive(buffer);
      } catch (error) {
        if (this.#closed) return;
        log("rpc").warn("{path}: receiving a datagram failed: {error}", {
          path: this.#path,
          error,
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      const path = (from as Deno.UnixAddr).path;
      handler(data, path ? (answer) => this.#answer(answer, path) : null, path ?? "");
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#replies.close();
    closeQuietly(this.#conn);
    this.#placed.remove();
  }
}
