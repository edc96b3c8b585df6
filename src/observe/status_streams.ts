/**
 * The status page's live updates: server-sent events on connections the
 * metrics listener hands over once their request head asked for
 * `GET /events`. They live outside the listener's 16 connections and its
 * 15 s bound, with bounds of their own: at most {@link STREAMS_MAX} at once
 * (a newcomer closes the oldest), each closed {@link STREAM_MAX_MS} after it
 * opened (the page reconnects), a heartbeat every {@link HEARTBEAT_MS}, and
 * a stream whose reader takes more than {@link WRITE_MAX_MS} over a write
 * closed. Nothing is read from them after the head.
 *
 * Every {@link TICK_MS} while a stream is open, the snapshot is built again
 * and sent when it differs from the last one sent: a change reaches the page
 * within a second. Workers are asked for their heap every {@link HEAP_EVERY_MS}.
 *
 * @module
 */

import { log } from "../base/log.ts";
import { ThrottledCount } from "../base/throttled_count.ts";

/** Event streams open at once; a newcomer closes the oldest. */
export const STREAMS_MAX = 4;
/** Every stream is closed this long after it opened; the page opens another. */
export const STREAM_MAX_MS = 5 * 60_000;
/** A comment line is sent this often, so that proxies and peers see the stream alive. */
export const HEARTBEAT_MS = 15_000;
/** A stream whose reader has not taken a write within this long is closed. */
export const WRITE_MAX_MS = 5_000;
/** How often the snapshot is compared with the last one sent. */
export const TICK_MS = 250;
/** How often workers are asked for their heap while a stream is open. */
export const HEAP_EVERY_MS = 2_000;
/** How long the page waits before it reconnects (the `retry:` field). */
export const RETRY_MS = 1_000;
const LIMIT_LOG_MS = 10_000;

/** What the streams send: the snapshot as JSON, and a key that changes when it does. */
export interface SnapshotSource {
  /** The snapshot as one line of JSON, and its key (the JSON without the clock). */
  snapshot(streams: number): { readonly json: string; readonly key: string };
  /** Asks the workers for their heap; resolves when they answered or gave up. */
  refreshHeaps(): Promise<void>;
}

/** The streams' bounds and pace; each defaults to the constant above of its name. */
export interface StreamBounds {
  /** {@link STREAMS_MAX}. */
  readonly max?: number;
  /** {@link STREAM_MAX_MS}. */
  readonly lifetimeMs?: number;
  /** {@link HEARTBEAT_MS}. */
  readonly heartbeatMs?: number;
  /** {@link WRITE_MAX_MS}. */
  readonly writeMaxMs?: number;
  /** {@link TICK_MS}. */
  readonly tickMs?: number;
}

interface Stream {
  readonly conn: Deno.Conn;
  readonly opened: number;
  /** When the write in progress began, or null. */
  writingSince: number | null;
  /** The text to write once the one in progress is done. */
  pending: string | null;
  closed: boolean;
}

const encoder = new TextEncoder();

/** The open event streams and the timer that feeds them. */
export class StatusStreams {
  #source: SnapshotSource;
  #bounds: Required<StreamBounds>;
  #streams: Stream[] = [];
  #tick: ReturnType<typeof setInterval> | null = null;
  #lastKey = "";
  #lastBeat = 0;
  #lastHeaps = 0;
  #heapsAsked = false;
  #closed = false;
  #evicted = new ThrottledCount(LIMIT_LOG_MS, (count) =>
    log("metrics").info(
      "closed {count} status event streams: {limit} were open at once (the oldest goes)",
      { count, limit: this.#bounds.max },
    ));

  /** Streams that send what `source` builds, within `bounds` (tests shorten them). */
  constructor(source: SnapshotSource, bounds: StreamBounds = {}) {
    this.#source = source;
    this.#bounds = {
      max: bounds.max ?? STREAMS_MAX,
      lifetimeMs: bounds.lifetimeMs ?? STREAM_MAX_MS,
      heartbeatMs: bounds.heartbeatMs ?? HEARTBEAT_MS,
      writeMaxMs: bounds.writeMaxMs ?? WRITE_MAX_MS,
      tickMs: bounds.tickMs ?? TICK_MS,
    };
  }

  /** Event streams open now. */
  get size(): number {
    return this.#streams.length;
  }

  /** Takes over `conn`, whose `GET /events` head was read: answers with a stream. */
  open(conn: Deno.Conn): void {
    if (this.#closed) {
      close(conn);
      return;
    }
    while (this.#streams.length >= this.#bounds.max) {
      this.#evicted.add();
      this.#end(this.#streams[0]);
    }
    const stream: Stream = {
      conn,
      opened: performance.now(),
      writingSince: null,
      pending: null,
      closed: false,
    };
    this.#streams.push(stream);
    const { json, key } = this.#source.snapshot(this.#streams.length);
    this.#write(
      stream,
      "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n" +
        "cache-control: no-store\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n" +
        `retry: ${RETRY_MS}\n\ndata: ${json}\n\n`,
    );
    this.#lastKey = key;
    if (this.#tick === null) {
      this.#lastBeat = performance.now();
      this.#tick = setInterval(() => this.#onTick(), this.#bounds.tickMs);
    }
  }

  /** Closes every stream and stops the timer. */
  close(): void {
    this.#closed = true;
    for (const stream of [...this.#streams]) this.#end(stream);
  }

  #onTick(): void {
    const now = performance.now();
    const { writeMaxMs, lifetimeMs, heartbeatMs } = this.#bounds;
    for (const stream of [...this.#streams]) {
      const slow = stream.writingSince !== null && now - stream.writingSince > writeMaxMs;
      if (slow || now - stream.opened > lifetimeMs) this.#end(stream);
    }
    if (this.#streams.length === 0) return;
    if (!this.#heapsAsked && now - this.#lastHeaps >= HEAP_EVERY_MS) {
      this.#heapsAsked = true;
      this.#lastHeaps = now;
      this.#source.refreshHeaps().finally(() => this.#heapsAsked = false);
    }
    const { json, key } = this.#source.snapshot(this.#streams.length);
    if (key !== this.#lastKey) {
      this.#lastKey = key;
      this.#lastBeat = now;
      for (const stream of this.#streams) this.#write(stream, `data: ${json}\n\n`);
    } else if (now - this.#lastBeat >= heartbeatMs) {
      this.#lastBeat = now;
      for (const stream of this.#streams) this.#write(stream, ": heartbeat\n\n");
    }
  }

  /** Writes `text`, or keeps it for after the write in progress (replacing an older one). */
  #write(stream: Stream, text: string): void {
    if (stream.closed) return;
    if (stream.writingSince !== null) {
      // a snapshot replaces an older one not yet written; a heartbeat never replaces data
      if (stream.pending === null || text.startsWith("data:")) stream.pending = text;
      return;
    }
    stream.writingSince = performance.now();
    (async () => {
      const bytes = encoder.encode(text);
      let written = 0;
      while (written < bytes.length && !stream.closed) {
        written += await stream.conn.write(bytes.subarray(written));
      }
    })().then(() => {
      stream.writingSince = null;
      const next = stream.pending;
      stream.pending = null;
      if (next !== null) this.#write(stream, next);
    }, () => this.#end(stream));
  }

  #end(stream: Stream): void {
    if (stream.closed) return;
    stream.closed = true;
    this.#streams = this.#streams.filter((other) => other !== stream);
    close(stream.conn);
    if (this.#streams.length === 0 && this.#tick !== null) {
      clearInterval(this.#tick);
      this.#tick = null;
    }
  }
}

function close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // closed already
  }
}
