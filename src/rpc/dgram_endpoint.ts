/**
 * What the datagram transport needs of a socket, Unix or UDP: a loop that
 * hands each datagram over with a way to answer its sender, and a close.
 *
 * @module
 */

/** Sends an answer back to a datagram's sender. */
export type Reply = (answer: Uint8Array) => Promise<void>;

/**
 * Takes one datagram (read synchronously: its bytes may be reused); `reply`
 * null: no way back. `from` names the sender (a Unix path, or `host:port`):
 * answers waiting for one sender are bounded per sender.
 */
export type DatagramHandler = (data: Uint8Array, reply: Reply | null, from: string) => void;

/** One bound datagram socket. */
export interface DatagramEndpoint {
  /** Hands every datagram to `handler` until closed. */
  serve(handler: DatagramHandler): Promise<void>;
  /** Stops receiving, closes the socket and removes its file, if any. */
  close(): void;
}
