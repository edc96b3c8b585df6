// The status page on the metrics listener (issue 25): the page and its own
// assets, the snapshot, the live event stream and its bounds, and what the
// page must never show (paths outside the project, environment, call data).
import assert from "node:assert/strict";
import { fixture, startHost, type TestHost, withHost } from "./helpers/host.ts";

const OBSERVE = fixture("observe.ts");
const METRICS = ["--metrics", "127.0.0.1:0"];
const PORT = /metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/;
const TASKS = ["name=steady;workers=2", "name=quick;every=1s"];

async function portOf(host: TestHost): Promise<number> {
  return Number((await host.waitFor(PORT))[1]);
}

/** The parsed `data:` events of an event stream, as they come. */
class EventReader {
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.pipeThrough(new TextDecoderStream()).getReader();
  }
  /** The next event's data, parsed; null when the stream ended. */
  async next(): Promise<Json> {
    while (true) {
      const end = this.#buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const data = block.split("\n").filter((l) => l.startsWith("data: "));
        if (data.length) return JSON.parse(data.map((l) => l.slice(6)).join("\n"));
        continue;
      }
      const { value, done } = await this.#reader.read();
      if (done) return null;
      this.#buffer += value;
    }
  }
  cancel(): Promise<void> {
    return this.#reader.cancel().catch(() => {});
  }
}

// deno-lint-ignore no-explicit-any
type Json = any; // the snapshot as the page reads it

Deno.test(
  "status page: GET / serves the page, its own stylesheet and script, nothing from elsewhere",
  withHost(OBSERVE, { exec: TASKS, args: METRICS }, async (host) => {
    const port = await portOf(host);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    const html = await page.text();
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    assert.match(html, /<script src="\/status\.js"/);
    assert.match(html, /<link rel="stylesheet" href="\/status\.css">/);
    assert.match(html, /name="viewport"/);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, "nothing from another origin");
    const assets: [string, RegExp][] = [
      ["/status.css", /^text\/css/],
      ["/status.js", /^text\/javascript/],
    ];
    for (const [path, type] of assets) {
      const asset = await fetch(`http://127.0.0.1:${port}${path}`);
      const text = await asset.text();
      assert.equal(asset.status, 200, path);
      assert.match(asset.headers.get("content-type") ?? "", type);
      assert.ok(text.length > 500, `${path}: ${text.length} bytes`);
      assert.doesNotMatch(text, /https?:\/\//, `${path} loads nothing from elsewhere`);
    }
    const post = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "x" });
    assert.equal(post.status, 405);
    assert.equal(await post.text(), "only GET\n");
    const missing = await fetch(`http://127.0.0.1:${port}/admin`);
    assert.equal(missing.status, 404);
    assert.equal(
      await missing.text(),
      "not found: GET /metrics, /healthz or / (the status page)\n",
    );
  }),
);

Deno.test("status page: the snapshot shows tasks, workers, schedules and the pool, and no secret", async () => {
  const secret = "s3cret-env-value-4711";
  const host = await startHost(OBSERVE, {
    exec: [...TASKS, "name=crash;restart=always;allow-read=/etc/evrexec-secret-dir"],
    args: METRICS,
    env: { EVREXEC_TEST_SECRET: secret },
  });
  try {
    const port = await portOf(host);
    const data = "call-data-that-must-not-show-0815";
    assert.equal(await host.call("evrexec.run", ["echo", data]), data);
    await assert.rejects(host.call("evrexec.run", ["fail", data]));
    await host.waitFor(/crash loop/);
    const answer = await fetch(`http://127.0.0.1:${port}/status.json`);
    const text = await answer.text();
    const status: Json = JSON.parse(text);
    assert.deepEqual(status.tasks.map((t: Json) => [t.name, t.workers.length]), [
      ["steady", 2],
      ["quick", 1],
      ["crash", 1],
    ]);
    assert.equal(status.tasks[0].workers[0].state, "running");
    assert.equal(status.tasks[1].schedule.schedule, "every=1s");
    assert.equal(status.tasks[2].state, "failed");
    assert.ok(status.tasks[2].workers[0].restarts >= 1);
    assert.equal(status.tasks[2].workers[0].last_error.message, "crash 0");
    assert.ok(status.events.some((e: Json) => e.kind === "restart" && e.task === "crash"));
    assert.ok(status.events.some((e: Json) => e.kind === "failure" && e.message === "crash 0"));
    const echo = status.pool.functions.find((f: Json) => f.name === "echo");
    assert.equal(echo.calls, 1);
    assert.equal(echo.calls_total, 1);
    assert.ok(typeof echo.p50_ms === "number" && echo.p50_ms > 0, JSON.stringify(echo));
    assert.equal(status.host.script_version, 1);
    assert.ok(status.pool.workers.length >= 1);
    assert.equal(status.fleet, null);
    for (const bad of [data, secret, host.dir, host.socket, OBSERVE, "/etc/evrexec-secret-dir"]) {
      assert.ok(!text.includes(bad), `the snapshot shows ${bad}`);
    }
  } finally {
    await host.cleanup();
  }
});

Deno.test(
  "status page: a run reaches the event stream within a second, and a reload shows",
  withHost(OBSERVE, { exec: TASKS, args: METRICS }, async (host) => {
    const port = await portOf(host);
    const answer = await fetch(`http://127.0.0.1:${port}/events`);
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get("content-type") ?? "", /^text\/event-stream/);
    const events = new EventReader(answer.body!);
    try {
      const first: Json = await events.next();
      assert.deepEqual(first.pool.functions, []);
      assert.equal(first.connections.status_streams, 1);
      const started = performance.now();
      await host.call("evrexec.run", ["echo", "x"]);
      const answered = performance.now();
      let seen: Json = null;
      while (seen === null) {
        const event: Json = await events.next();
        assert.ok(event !== null, "the stream ended");
        if (event.pool.functions.some((f: Json) => f.name === "echo" && f.calls_total === 1)) {
          seen = event;
        }
      }
      const ms = performance.now() - answered;
      console.log(
        `a run reached the stream ${ms.toFixed(0)} ms after its answer ` +
          `(${(answered - started).toFixed(0)} ms for the call)`,
      );
      assert.ok(ms < 1000, `${ms} ms`);
      await host.call("evrexec.reload");
      const reloadAt = performance.now();
      while (true) {
        const event: Json = await events.next();
        assert.ok(event !== null, "the stream ended");
        if (event.reloads.length === 1) {
          assert.equal(event.reloads[0].ok, true);
          assert.equal(event.reloads[0].version, 2);
          assert.equal(event.host.script_version, 2);
          break;
        }
      }
      assert.ok(performance.now() - reloadAt < 1000);
    } finally {
      await events.cancel();
    }
  }),
);

Deno.test(
  "status page: a fifth event stream closes the oldest; the listener's own connections stay free",
  withHost(OBSERVE, { exec: TASKS, args: METRICS }, async (host) => {
    const port = await portOf(host);
    const open = async () => {
      const answer = await fetch(`http://127.0.0.1:${port}/events`);
      const events = new EventReader(answer.body!);
      const first: Json = await events.next();
      return { events, first };
    };
    const streams = [];
    try {
      for (let i = 0; i < 4; i++) streams.push(await open());
      assert.equal(streams[3].first.connections.status_streams, 4);
      streams.push(await open());
      assert.equal(streams[4].first.connections.status_streams, 4);
      // the oldest ends: its reader sees the end after what was sent before
      let ended = false;
      const deadline = Date.now() + 5000;
      while (!ended && Date.now() < deadline) ended = await streams[0].events.next() === null;
      assert.ok(ended, "the oldest stream was not closed");
      // 16 plain requests at once still get answers: streams do not count against them
      const answers = await Promise.all(
        Array.from({ length: 16 }, () => fetch(`http://127.0.0.1:${port}/healthz`)),
      );
      for (const a of answers) assert.equal(await a.text(), "ok\n");
      assert.match(host.log, /closed 1 status event streams: 4 were open at once/);
    } finally {
      for (const stream of streams) await stream.events.cancel();
    }
  }),
);
