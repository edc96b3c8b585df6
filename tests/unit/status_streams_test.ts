// The status page's event streams on real TCP connections, with short
// bounds: heartbeats while nothing changes, a change sent at the next tick,
// each stream closed at the end of its lifetime, and a stream whose reader
// takes nothing closed once a write has waited too long.
import assert from "node:assert/strict";
import { StatusStreams } from "../../src/observe/status_streams.ts";

/** A connected pair of TCP connections: [server side, client side]. */
async function pair(listener: Deno.TcpListener): Promise<[Deno.Conn, Deno.Conn]> {
  const client = Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await listener.accept();
  return [server, await client];
}

/** Reads a connection: one read pending at a time, kept across calls. */
class Reader {
  #conn: Deno.Conn;
  #buffer = new Uint8Array(65536);
  #pending: Promise<number | null> | null = null;
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }
  /** What arrives until the connection closes or `ms` pass; the text and whether it closed. */
  async readFor(ms: number): Promise<{ text: string; closed: boolean }> {
    let text = "";
    const until = Date.now() + ms;
    while (Date.now() < until) {
      this.#pending ??= this.#conn.read(this.#buffer).catch(() => null);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const later = new Promise<"later">((resolve) =>
        timer = setTimeout(() => resolve("later"), Math.max(0, until - Date.now()))
      );
      const read = await Promise.race([this.#pending, later]);
      clearTimeout(timer);
      if (read === "later") break;
      this.#pending = null;
      if (read === null) return { text, closed: true };
      text += new TextDecoder().decode(this.#buffer.subarray(0, read));
    }
    return { text, closed: false };
  }
}

Deno.test("status streams: heartbeats, changes at the next tick, a lifetime, the oldest closed", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let version = 1;
  const streams = new StatusStreams({
    snapshot: () => ({ json: `{"v":${version}}`, key: String(version) }),
    refreshHeaps: () => Promise.resolve(),
  }, { max: 2, lifetimeMs: 1500, heartbeatMs: 200, tickMs: 50 });
  const [server1, client1] = await pair(listener);
  try {
    streams.open(server1);
    const reader = new Reader(client1);
    const first = await reader.readFor(700);
    assert.match(first.text, /^HTTP\/1\.1 200 OK\r\ncontent-type: text\/event-stream/);
    assert.match(first.text, /retry: 1000\n\ndata: \{"v":1\}\n\n/);
    assert.ok((first.text.match(/: heartbeat\n\n/g) ?? []).length >= 2, first.text);
    version = 2;
    const change = await reader.readFor(600);
    assert.match(change.text, /data: \{"v":2\}\n\n/);
    const end = await reader.readFor(2000); // past its 1.5 s lifetime
    assert.ok(end.closed, "the stream outlived its lifetime");
    assert.equal(streams.size, 0);

    // a third stream closes the oldest of two
    const [a, ca] = await pair(listener);
    const [b, cb] = await pair(listener);
    const [c, cc] = await pair(listener);
    streams.open(a);
    streams.open(b);
    streams.open(c);
    assert.equal(streams.size, 2);
    assert.ok((await new Reader(ca).readFor(1000)).closed, "the oldest stayed open");
    assert.ok(!(await new Reader(cb).readFor(300)).closed);
    for (const conn of [cb, cc]) conn.close();
  } finally {
    streams.close();
    listener.close();
    try {
      client1.close();
    } catch {
      // closed
    }
  }
});

Deno.test("status streams: a reader that takes nothing is closed once a write waits too long", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let version = 0;
  const big = "x".repeat(1 << 20);
  const streams = new StatusStreams({
    snapshot: () => ({ json: `{"v":${version++},"pad":"${big}"}`, key: String(version) }),
    refreshHeaps: () => Promise.resolve(),
  }, { writeMaxMs: 300, tickMs: 50 });
  const [server, client] = await pair(listener); // the client never reads
  try {
    streams.open(server);
    const until = Date.now() + 5000;
    while (streams.size > 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(streams.size, 0, "a stream nobody reads stayed open");
  } finally {
    streams.close();
    listener.close();
    client.close();
  }
});
