/**
 * The fleet's wake-ups, through LISTEN/NOTIFY on one dedicated connection
 * (a pooled connection cannot LISTEN: the session must stay): a new job, a
 * finished job, a released lease. The connection is remade after it breaks
 * (the server restarted, the network went), with a growing pause; after each
 * (re)connection the `reconnect` listeners are told, since notifications sent
 * while it was down are lost and the state must be read again. Nothing here
 * throws or crashes the process: every error of the client is handled.
 *
 * Behind PgBouncer in transaction mode LISTEN does not work (the session is
 * not kept): point this connection at PostgreSQL itself, or go without it
 * (polling alone).
 *
 * @module
 */

import pg from "pg";
import type { SchemaNames } from "./schema_name.ts";

/** The kinds of wake-up. */
export type Wake = "jobs" | "done" | "leases";

/** Options of {@link ClusterNotifications}. */
export interface NotificationOptions {
  /** Shown in `pg_stat_activity`. */
  readonly applicationName?: string;
  /** The first pause before reconnecting, ms (default 250; it doubles). */
  readonly reconnectMinMs?: number;
  /** The longest pause before reconnecting, ms (default 5,000). */
  readonly reconnectMaxMs?: number;
  /** How long a connection attempt may take, ms (default 5,000). */
  readonly connectTimeoutMs?: number;
  /** Told of each connection error (for the log); never throws. */
  readonly onError?: (error: Error) => void;
}

/** One LISTEN connection for the three channels of a schema, remade when it breaks. */
export class ClusterNotifications {
  #url: string;
  #names: SchemaNames;
  #options: NotificationOptions;
  #client: pg.Client | null = null;
  #listening = false;
  #closed = false;
  #pauseMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #listeners = new Map<Wake, Set<(payload: string) => void>>();
  #reconnectListeners = new Set<() => void>();
  #connects = 0;

  /** Prepares the connection to `url` for the channels of `names`; {@link start} opens it. */
  constructor(url: string, names: SchemaNames, options: NotificationOptions = {}) {
    this.#url = url;
    this.#names = names;
    this.#options = options;
    this.#pauseMs = options.reconnectMinMs ?? 250;
  }

  /** True while the connection is up and listening. */
  get listening(): boolean {
    return this.#listening;
  }

  /** How many times the connection was made (1 after the first). */
  get connects(): number {
    return this.#connects;
  }

  /** Opens the connection in the background (and keeps it open until {@link close}). */
  start(): void {
    if (this.#client === null && this.#timer === undefined && !this.#closed) void this.#connect();
  }

  /** Calls `fn` with the payload of each wake-up of `kind`; returns the unsubscriber. */
  on(kind: Wake, fn: (payload: string) => void): () => void {
    let set = this.#listeners.get(kind);
    if (set === undefined) this.#listeners.set(kind, set = new Set());
    set.add(fn);
    return () => set.delete(fn);
  }

  /** Calls `fn` after each (re)connection; returns the unsubscriber. */
  onReconnect(fn: () => void): () => void {
    this.#reconnectListeners.add(fn);
    return () => this.#reconnectListeners.delete(fn);
  }

  /** Closes the connection for good. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listening = false;
    const client = this.#client;
    this.#client = null;
    if (client !== null) await client.end().catch(() => {});
  }

  #tell(error: Error): void {
    try {
      this.#options.onError?.(error);
    } catch { /* a listener must not take the process down */ }
  }

  #channelKind(channel: string): Wake | null {
    const names = this.#names;
    return channel === names.jobsChannel
      ? "jobs"
      : channel === names.doneChannel
      ? "done"
      : channel === names.leasesChannel
      ? "leases"
      : null;
  }

  async #connect(): Promise<void> {
    this.#timer = undefined;
    const client = new pg.Client({
      connectionString: this.#url,
      application_name: this.#options.applicationName ?? "evrexec-listen",
      connectionTimeoutMillis: this.#options.connectTimeoutMs ?? 5_000,
      keepAlive: true,
    });
    this.#client = client;
    let lost = false;
    const onLost = (error?: Error) => {
      if (error !== undefined) this.#tell(error);
      if (lost) return;
      lost = true;
      this.#listening = false;
      if (this.#client === client) this.#client = null;
      client.end().catch(() => {});
      this.#retry();
    };
    // Without these listeners an error of the connection would end the process.
    client.on("error", onLost);
    client.on("end", () => onLost());
    client.on("notification", (message) => {
      const kind = this.#channelKind(message.channel);
      if (kind === null) return;
      for (const fn of this.#listeners.get(kind) ?? []) {
        try {
          fn(message.payload ?? "");
        } catch { /* one listener's mistake does not stop the others */ }
      }
    });
    try {
      await client.connect();
      const n = this.#names;
      await client.query(
        `LISTEN "${n.jobsChannel}"; LISTEN "${n.doneChannel}"; LISTEN "${n.leasesChannel}"`,
      );
    } catch (error) {
      onLost(error as Error);
      return;
    }
    if (this.#closed || lost) {
      await client.end().catch(() => {});
      return;
    }
    this.#listening = true;
    this.#connects++;
    this.#pauseMs = this.#options.reconnectMinMs ?? 250;
    for (const fn of this.#reconnectListeners) {
      try {
        fn();
      } catch { /* as above */ }
    }
  }

  #retry(): void {
    if (this.#closed || this.#timer !== undefined) return;
    const pause = this.#pauseMs;
    this.#pauseMs = Math.min(pause * 2, this.#options.reconnectMaxMs ?? 5_000);
    this.#timer = setTimeout(() => void this.#connect(), pause);
  }
}
