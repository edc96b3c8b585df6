/**
 * Sends answers to Unix datagram clients, one at a time (Deno refuses a
 * second send on a socket while one is pending), from a socket bound in the
 * abstract namespace (Linux; no file to clean up). A send that does not
 * finish in time (a client that stopped reading) is given up with its
 * socket, and a fresh socket takes the next answers.
 *
 * @module
 */

import { settlesWithin } from "../shared/deadline.ts";

/** How long one send may take before it and its socket are given up. */
export const SEND_TIMEOUT_MS = 1000;

let sockets = 0;

interface Outgoing {
  readonly answer: Uint8Array;
  readonly path: string;
  readonly done: PromiseWithResolvers<void>;
}

/** A queue of answers to Unix datagram clients. */
export class ReplySender {
  #conn: Deno.DatagramConn | null = null;
  #queue: Outgoing[] = [];
  #sending = false;
  #closed = false;

  /** Sends `answer` to the socket at `path`; rejects when it cannot be sent. */
  send(answer: Uint8Array, path: string): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the datagram socket is closed"));
    const done = Promise.withResolvers<void>();
    this.#queue.push({ answer, path, done });
    if (!this.#sending) this.#drain();
    return done.promise;
  }

  async #drain(): Promise<void> {
    this.#sending = true;
    while (this.#queue.length > 0 && !this.#closed) {
      const { answer, path, done } = this.#queue.shift()!;
      try {
        const conn = this.#conn ??= Deno.listenDatagram({
          transport: "unixpacket",
          path: `\0evrexec-reply-${Deno.pid}-${sockets++}`,
        });
        const sent = conn.send(answer, { transport: "unixpacket", path });
        sent.then(() => done.resolve(), (error) => done.reject(error));
        if (!await settlesWithin(sent, SEND_TIMEOUT_MS)) {
          this.#dropSocket();
          done.reject(new Error(`the client did not take the answer within ${SEND_TIMEOUT_MS} ms`));
        }
      } catch (error) {
        done.reject(error);
      }
    }
    this.#sending = false;
  }

  #dropSocket(): void {
    try {
      this.#conn?.close();
    } catch {
      // closed already
    }
    this.#conn = null;
  }

  /** Stops sending: answers still queued are rejected. */
  close(): void {
    this.#closed = true;
    this.#dropSocket();
    for (const { done } of this.#queue.splice(0)) done.reject(new Error("closed"));
  }
}
