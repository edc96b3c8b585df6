/**
 * The datagram JSON-RPC transport, Kamailio's jsonrpcs way (`--rpc-dgram`):
 * one request per datagram, the answer sent to the sender's address, served
 * by the same method caller as the stream socket. Nothing a datagram carries
 * stops it: every failure is an error answer, a counter or a debug line.
 *
 * @module
 */

import { log } from "../base/log.ts";
import type { Transport, TransportCounts } from "./transport_counts.ts";
import { settlesWithin } from "../base/deadline.ts";
import { answerDatagram, type DatagramCounts } from "./dgram_answer.ts";
import type { DgramAddress } from "../config/dgram_address.ts";
import type { DatagramEndpoint, Reply } from "./dgram_endpoint.ts";
import { listenUdpDatagram } from "./dgram_udp.ts";
import { listenUnixDatagram } from "./dgram_unix.ts";
import { errorAnswer, type MethodCaller } from "./jsonrpc.ts";
import { RpcCode } from "./errors.ts";
import { ThrottledCount } from "../base/throttled_count.ts";

/** Requests being answered at once, over every datagram socket; more are answered "busy". */
export const MAX_DGRAM_IN_FLIGHT = 1024;
/**
 * Answer bytes waiting to be sent to one sender (a client that does not read
 * makes its answers wait); an answer that would take it past this is dropped,
 * counted as unanswered and logged at most once per 10 s. Other senders are
 * not held up by it.
 */
export const MAX_DGRAM_UNSENT_BYTES = 1 << 20;
/** At most one warning about answers dropped past {@link MAX_DGRAM_UNSENT_BYTES} per this many ms. */
const DROP_LOG_MS = 10_000;

const BUSY = new TextEncoder().encode(errorAnswer(
  RpcCode.BUSY,
  `busy: ${MAX_DGRAM_IN_FLIGHT} datagram requests are being answered; try again`,
));

/** Serves JSON-RPC on every `--rpc-dgram` address. */
export class DatagramServer {
  #endpoints: DatagramEndpoint[] = [];
  #call: MethodCaller;
  #inFlight = 0;
  #drained: (() => void) | null = null;
  /** Per sender, bytes of the answers handed to an endpoint and not sent (or given up) yet. */
  #unsent = new Map<string, number>();
  #lastDropped = "";
  #dropped = new ThrottledCount(DROP_LOG_MS, (count) =>
    log("rpc").warn(
      "dropped {count} datagram answers: {limit} bytes of answers were waiting to be sent " +
        "to their sender, which does not read them (last: {last})",
      { count, limit: MAX_DGRAM_UNSENT_BYTES, last: this.#lastDropped },
    ));

  private constructor(call: MethodCaller) {
    this.#call = call;
  }

  /**
   * Binds every address (Unix sockets with `mode`) and starts serving, each
   * transport counted in `counts(transport)` (none when it gives undefined);
   * throws a {@link ConfigError} (nothing left bound) when one cannot be.
   */
  static async listen(
    addresses: readonly DgramAddress[],
    mode: number,
    call: MethodCaller,
    counts: (transport: Transport) => TransportCounts | undefined,
  ): Promise<DatagramServer> {
    const server = new DatagramServer(call);
    try {
      for (const address of addresses) {
        const endpoint = address.kind === "unix"
          ? await listenUnixDatagram(address.path, mode)
          : await listenUdpDatagram(address.host, address.port, address.text);
        server.#endpoints.push(endpoint);
        const counted = counts(address.kind === "unix" ? "unix_dgram" : "udp");
        endpoint.serve((data, reply, from) => server.#take(data, reply, from, address, counted));
      }
    } catch (error) {
      server.close();
      throw error;
    }
    return server;
  }

  #take(
    data: Uint8Array,
    reply: Reply | null,
    from: string,
    address: DgramAddress,
    counts: DatagramCounts | undefined,
  ): void {
    if (this.#inFlight >= MAX_DGRAM_IN_FLIGHT) {
      this.#send(BUSY, reply, from, address, counts);
      return;
    }
    this.#inFlight++;
    answerDatagram(data, this.#call, counts)
      .then((answer) => answer && this.#send(answer, reply, from, address, counts))
      .finally(() => {
        this.#inFlight--;
        if (this.#inFlight === 0) this.#drained?.();
      });
  }

  /**
   * Sends `answer` to its sender, unless {@link MAX_DGRAM_UNSENT_BYTES} of
   * answers wait for that sender already: then it is dropped.
   */
  async #send(
    answer: Uint8Array,
    reply: Reply | null,
    from: string,
    address: DgramAddress,
    counts: DatagramCounts | undefined,
  ): Promise<void> {
    const waiting = this.#unsent.get(from) ?? 0;
    if (waiting + answer.length > MAX_DGRAM_UNSENT_BYTES) {
      if (counts) counts.unanswered++;
      this.#lastDropped = `${address.text} to ${JSON.stringify(from)}`;
      this.#dropped.add();
      return;
    }
    this.#unsent.set(from, waiting + answer.length);
    try {
      if (reply === null) throw new Error("the sender has no address to answer to (unbound)");
      // The endpoint gives up an answer that is not sent in time (reply_sender.ts).
      await reply(answer);
    } catch (error) {
      if (counts) counts.unanswered++;
      log("rpc").debug("{address}: an answer could not be sent: {error}", {
        address: address.text,
        error,
      });
    } finally {
      const left = this.#unsent.get(from)! - answer.length;
      if (left > 0) this.#unsent.set(from, left);
      else this.#unsent.delete(from);
    }
  }

  /** Lets answers being computed go out for up to `timeoutMs`, then closes every socket. */
  async close(timeoutMs = 0): Promise<void> {
    if (this.#inFlight > 0 && timeoutMs > 0) {
      await settlesWithin(new Promise<void>((resolve) => this.#drained = resolve), timeoutMs);
    }
    for (const endpoint of this.#endpoints) endpoint.close();
  }
}
