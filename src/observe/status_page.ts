/**
 * The status page on the metrics listener: `GET /` (a read-only page),
 * its own stylesheet and script (served from the host, nothing from a CDN,
 * no build step), `GET /status.json` (the snapshot once) and
 * `GET /events` (the snapshot as server-sent events, see
 * {@link StatusStreams}). What it shows is {@link statusSnapshot}.
 *
 * @module
 */

import PAGE_HTML from "../../web/status/index.html" with { type: "text" };
import PAGE_CSS from "../../web/status/status.css" with { type: "text" };
import PAGE_JS from "../../web/status/status.js" with { type: "text" };
import { MinuteWindow, SAMPLE_MS } from "./minute_window.ts";
import type { ObservedHost } from "./observed_host.ts";
import { statusSnapshot } from "./status_model.ts";
import { StatusStreams } from "./status_streams.ts";

/** How long a worker gets to tell its heap; one busy in synchronous code shows none. */
const HEAP_ANSWER_MS = 200;

/** One answer of the page: status, content type, body and more header lines. */
export interface PageAnswer {
  /** The HTTP status. */
  readonly status: number;
  /** The content type. */
  readonly type: string;
  /** The body. */
  readonly body: string;
  /** More header lines, each ending in CRLF. */
  readonly extra?: string;
}

/** Headers of every page answer: nothing cached, framed or sniffed, no referrer. */
const SAFE = "cache-control: no-store\r\nx-content-type-options: nosniff\r\n" +
  "referrer-policy: no-referrer\r\nx-frame-options: DENY\r\n";
/** The page may load only its own script and style, and talk only to its host. */
const CSP = "content-security-policy: default-src 'none'; script-src 'self'; " +
  "style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'none'\r\n";

const ASSETS: ReadonlyMap<string, PageAnswer> = new Map([
  ["/", { status: 200, type: "text/html; charset=utf-8", body: PAGE_HTML, extra: SAFE + CSP }],
  ["/status.css", { status: 200, type: "text/css; charset=utf-8", body: PAGE_CSS, extra: SAFE }],
  [
    "/status.js",
    { status: 200, type: "text/javascript; charset=utf-8", body: PAGE_JS, extra: SAFE },
  ],
]);

/** The paths the page answers (for the listener's 404 line). */
export const PAGE_PATHS: readonly string[] = [...ASSETS.keys(), "/status.json", "/events"];

/** A host's status page: its assets, its snapshot and its event streams. */
export class StatusPage {
  #host: ObservedHost;
  #window: MinuteWindow;
  #heaps = new Map<number, number | null>();
  #streams: StatusStreams;
  #sampler: ReturnType<typeof setInterval>;

  /** The page of `host` (its fleet section comes from `host.fleet`, once a cluster has one). */
  constructor(host: ObservedHost) {
    this.#host = host;
    this.#window = new MinuteWindow(host.stats.functions);
    this.#window.sample();
    this.#sampler = setInterval(() => this.#window.sample(), SAMPLE_MS);
    Deno.unrefTimer(this.#sampler);
    this.#streams = new StatusStreams({
      snapshot: (streams) => this.#json(streams),
      refreshHeaps: () => this.#refreshHeaps(),
    });
  }

  /**
   * The answer to `GET path`: an asset, the snapshot, `"stream"` for
   * `/events` (hand the connection to {@link openStream}), or null when the
   * path is not the page's.
   */
  answer(path: string): PageAnswer | "stream" | null {
    if (path === "/events") return "stream";
    if (path === "/status.json") {
      const { json } = this.#json(this.#streams.size);
      return { status: 200, type: "application/json", body: json + "\n", extra: SAFE };
    }
    return ASSETS.get(path) ?? null;
  }

  /** Takes over a connection whose `GET /events` head was read. */
  openStream(conn: Deno.Conn): void {
    this.#streams.open(conn);
  }

  /** Closes the streams and stops sampling. */
  close(): void {
    clearInterval(this.#sampler);
    this.#streams.close();
  }

  #json(streams: number): { json: string; key: string } {
    const snapshot = statusSnapshot(this.#host, {
      window: this.#window,
      heaps: this.#heaps,
      streams,
    });
    const json = JSON.stringify(snapshot);
    const key = JSON.stringify({ ...snapshot, host: { ...snapshot.host, now: 0 } });
    return { json, key };
  }

  async #refreshHeaps(): Promise<void> {
    const host = this.#host;
    const workers = [
      ...host.supervisors.flatMap((s) =>
        s.slots.map((slot) => ({ slot, handle: s.workerOf(slot.index) }))
      ),
      ...host.pool.workers(),
    ];
    const heaps = await Promise.all(
      workers.map(({ handle }) => handle?.heapUsed(HEAP_ANSWER_MS) ?? null),
    );
    this.#heaps.clear();
    // to 100 kB, so that the page is not sent again for every byte a worker allocates
    workers.forEach(({ slot }, i) => {
      const heap = heaps[i];
      this.#heaps.set(slot.id, heap === null ? null : Math.round(heap / 1e5) * 1e5);
    });
  }
}
