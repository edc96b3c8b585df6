/**
 * Sends answers to Unix datagram clients, one at a time (Deno refuses a
 * second send on a socket while one is pending), from a socket bound in the
 * abstract namespace (Linux; no file to clean up). A send that does not
 * finish in time (a client that stopped reading) is given up with its
 * socket, and a fresh socket takes the next answers; an answer that waited
 * too long in the queue is given up too. One watch timer, running only
 * while answers flow, checks both: a send costs no timer of its own.
 *
 * A few such senders, lanes, share the answers ({@link ReplyLanes}): the
 * answers to one client keep to the lane that has some of them under way,
 * and a new client takes the least busy lane, so a client that stops
 * reading holds up its own lane, not every other client's answers (before,
 * a polite client waited 2.6-3 s behind one that never read).
 *
 * @module
 */

/** How long one send may take before it and its socket are given up. */
export const SEND_TIMEOUT_MS = 1000;
/** How long an answer may wait, queueing and sending, before it is given up. */
export const QUEUE_TIMEOUT_MS = 5000;
/** How often the watch looks at the send in flight and the queue. */
const WATCH_MS = 250;

let sockets = 0;

interface Outgoing {
  readonly answer: Uint8Array;
  readonly path: string;
  readonly queuedAt: number;
  readonly done: PromiseWithResolvers<void>;
}

/** A queue of answers to Unix datagram clients. */
export class ReplySender {
  #conn: Deno.DatagramConn | null = null;
  #queue: Outgoing[] = [];
  #sending: Outgoing | null = null;
  #sentAt = 0;
  #sentSinceWatch = false;
  #watch: ReturnType<typeof setInterval> | null = null;
  #closed = false;
  #now: () => number;

  /** A sender on the clock `now`, in milliseconds (default `performance.now`). */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Sends `answer` to the socket at `path`; rejects when it cannot be sent. */
  send(answer: Uint8Array, path: string): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the datagram socket is closed"));
    const done = Promise.withResolvers<void>();
    this.#queue.push({ answer, path, queuedAt: this.#now(), done });
    if (this.#sending === null) this.#next();
    return done.promise;
  }

  /** Starts the next send, if any. */
  #next(): void {
    const out = this.#queue.shift();
    if (out === undefined || this.#closed) return;
    this.#sending = out;
    this.#sentAt = this.#now();
    this.#sentSinceWatch = true;
    if (this.#watch === null) {
      this.#watch = setInterval(() => this.#check(), WATCH_MS);
      Deno.unrefTimer(this.#watch);
    }
    try {
      const conn = this.#conn ??= Deno.listenDatagram({
        transport: "unixpacket",
        path: `\0evrexec-reply-${Deno.pid}-${sockets++}`,
      });
      conn.send(out.answer, { transport: "unixpacket", path: out.path })
        .then(() => this.#settled(out), (error) => this.#settled(out, error));
    } catch (error) {
      this.#settled(out, error);
    }
  }

  /** A send has ended; one given up already changes nothing. */
  #settled(out: Outgoing, error?: unknown): void {
    if (this.#sending !== out) return;
    this.#sending = null;
    if (error === undefined) out.done.resolve();
    else out.done.reject(error);
    this.#next();
  }

  /**
   * Gives up a send that has taken too long (and its socket) and answers
   * that waited too long; stops watching once a whole period passed idle.
   */
  #check(): void {
    const now = this.#now();
    const stalled = this.#sending;
    if (stalled !== null && now - this.#sentAt >= SEND_TIMEOUT_MS) {
      this.#sending = null;
      this.#dropSocket();
      stalled.done.reject(
        new Error(`the client did not take the answer within ${SEND_TIMEOUT_MS} ms`),
      );
    }
    while (this.#queue.length > 0 && now - this.#queue[0].queuedAt >= QUEUE_TIMEOUT_MS) {
      this.#queue.shift()!.done.reject(
        new Error(`the answer waited ${QUEUE_TIMEOUT_MS} ms to be sent`),
      );
    }
    if (this.#sending === null) this.#next();
    if (this.#sending === null && !this.#sentSinceWatch) this.#stopWatch();
    this.#sentSinceWatch = false;
  }

  #stopWatch(): void {
    if (this.#watch !== null) clearInterval(this.#watch);
    this.#watch = null;
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
    this.#stopWatch();
    this.#dropSocket();
    this.#sending?.done.reject(new Error("closed"));
    this.#sending = null;
    for (const { done } of this.#queue.splice(0)) done.reject(new Error("closed"));
  }
}

/** How many senders answer Unix datagram clients side by side. */
export const REPLY_LANES = 4;

/** What a lane needs of its sender. */
export interface LaneSender {
  /** Sends `answer` to the socket at `path`; rejects when it cannot be sent. */
  send(answer: Uint8Array, path: string): Promise<void>;
  /** Stops sending: answers still queued are rejected. */
  close(): void;
}

interface Lane {
  readonly sender: LaneSender;
  /** Answers under way (queued or sending), per client path. */
  readonly pending: Map<string, number>;
  total: number;
}

/**
 * Answers to Unix datagram clients over {@link REPLY_LANES} senders: a
 * client's answers go to the lane that already has some of its answers
 * under way, else to the lane with the fewest answers under way.
 */
export class ReplyLanes {
  #lanes: Lane[];

  /** `count` lanes, each a sender made by `makeSender` (a {@link ReplySender} by default). */
  constructor(count = REPLY_LANES, makeSender: () => LaneSender = () => new ReplySender()) {
    this.#lanes = Array.from({ length: count }, () => ({
      sender: makeSender(),
      pending: new Map<string, number>(),
      total: 0,
    }));
  }

  /** Sends `answer` to the socket at `path`; rejects when it cannot be sent. */
  send(answer: Uint8Array, path: string): Promise<void> {
    const lane = this.#lanes.find((candidate) => candidate.pending.has(path)) ??
      this.#lanes.reduce((least, candidate) => candidate.total < least.total ? candidate : least);
    lane.total++;
    lane.pending.set(path, (lane.pending.get(path) ?? 0) + 1);
    const settle = () => {
      lane.total--;
      const left = lane.pending.get(path)! - 1;
      if (left === 0) lane.pending.delete(path);
      else lane.pending.set(path, left);
    };
    return lane.sender.send(answer, path).finally(settle);
  }

  /** Stops sending on every lane: answers still queued are rejected. */
  close(): void {
    for (const lane of this.#lanes) lane.sender.close();
  }
}
