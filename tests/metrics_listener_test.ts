// The metrics listener is open to every local user: nothing sent to it may
// end the host, take its descriptors, or hold a connection for long
// (issue 21, second round: thousands of idle connections took every
// descriptor, and the failed accept() ended the host).
import assert from "node:assert/strict";
import { fixture, sleep, withHost } from "./helpers/host.ts";
import { openFds } from "./helpers/proc.ts";

const FAULTS = fixture("faults.ts");
const METRICS = ["--metrics", "127.0.0.1:0"];
const PORT = /metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/;

const hasPrlimit = await new Deno.Command("prlimit", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
}).output().then((o) => o.success, () => false);
if (!hasPrlimit) console.log("metrics listener: prlimit is not installed; skipping a test");

/** Sends `text` on a fresh connection and reads until the server closes it (at most `ms`). */
async function exchange(port: number, text: string, ms = 10_000): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), ms);
  try {
    await conn.write(new TextEncoder().encode(text));
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(65536);
    while (true) {
      const read = await conn.read(buffer).catch(() => null);
      if (read === null) break;
      chunks.push(buffer.slice(0, read));
    }
    return new TextDecoder().decode(new Uint8Array(chunks.flatMap((chunk) => [...chunk])));
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
}

Deno.test({
  name: "metrics listener: idle connections past the host's descriptors neither end nor starve it",
  ignore: !hasPrlimit,
  fn: withHost(FAULTS, { args: METRICS }, async (host) => {
    const port = Number((await host.waitFor(PORT))[1]);
    await sleep(1000); // the RPC pool is up: its descriptors are counted
    const room = 40;
    const limit = openFds(host.pid) + room;
    const out = await new Deno.Command("prlimit", {
      args: [`--pid=${host.pid}`, `--nofile=${limit}:`],
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const idle: Deno.Conn[] = [];
    for (let i = 0; i < room * 5; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port }).catch((error) => error);
      assert.ok(!(conn instanceof Error), `${conn}; the host's log:\n${host.log.slice(-1500)}`);
      idle.push(conn);
    }
    await sleep(1500);
    try {
      assert.ok(!host.hasExited, `the host ended:\n${host.log.slice(-2000)}`);
      const fds = openFds(host.pid);
      console.log(
        `${idle.length} idle connections to the metrics port, --nofile ${limit}: ` +
          `the host holds ${fds} descriptors`,
      );
      assert.ok(fds < limit - 10, `descriptors left for the rest of the host: ${fds} of ${limit}`);
      assert.equal(await host.call("evrexec.run", ["echo", "still here"]), "still here");
      const health = await exchange(port, "GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n");
      assert.match(health, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok\n$/);
      assert.match(host.log, /closed \d+ connections to the metrics listener: 16 were open/);
    } finally {
      for (const conn of idle) conn.close();
    }
  }),
});

Deno.test(
  "metrics listener: a head sent byte by byte is cut after 5 s, one over 8 KiB gets 431",
  withHost(FAULTS, { args: METRICS }, async (host) => {
    const port = Number((await host.waitFor(PORT))[1]);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const started = performance.now();
    let closedAfter = -1;
    const head = "GET /metrics HTTP/1.1\r\nx-slow: " + "a".repeat(200);
    for (const byte of new TextEncoder().encode(head)) {
      const sent = await conn.write(new Uint8Array([byte])).then(() => true, () => false);
      if (!sent) {
        closedAfter = performance.now() - started;
        break;
      }
      await sleep(100);
    }
    conn.close();
    console.log(`a byte every 100 ms: closed after ${Math.round(closedAfter)} ms`);
    assert.ok(closedAfter > 0, "the slow head was never cut");
    assert.ok(closedAfter < 10_000, `cut after ${closedAfter} ms`);

    const huge = await exchange(
      port,
      `GET /metrics HTTP/1.1\r\nx-big: ${"b".repeat(65536)}\r\n\r\n`,
    );
    assert.match(huge, /^HTTP\/1\.1 431 /);
    assert.match(host.log, /sent no whole request head of at most 8192 bytes within 5000 ms/);
    const metrics = await exchange(port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
    assert.match(metrics, /^HTTP\/1\.1 200 OK\r\n[^]*evrexec_/);
    assert.ok(!host.hasExited);
  }),
);

Deno.test(
  "metrics listener (loopback): a Host header naming another host gets 403 (DNS rebinding); loopback names are served",
  withHost(FAULTS, { args: METRICS }, async (host) => {
    const port = Number((await host.waitFor(PORT))[1]);
    for (const path of ["/", "/status.json", "/metrics", "/healthz", "/events"]) {
      const foreign = await exchange(
        port,
        `GET ${path} HTTP/1.1\r\nHost: rebind.example:${port}\r\n\r\n`,
      );
      assert.match(
        foreign,
        /^HTTP\/1\.1 403 Forbidden\r\n[^]*\r\n\r\nthis listener is loopback-only/,
      );
      assert.doesNotMatch(foreign, /evrexec_|echo/, `${path} gave nothing away`);
    }
    for (
      const name of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, "app.localhost"]
    ) {
      const served = await exchange(port, `GET /metrics HTTP/1.1\r\nhost: ${name}\r\n\r\n`);
      assert.match(served, /^HTTP\/1\.1 200 OK\r\n[^]*evrexec_/, `Host: ${name}`);
    }
    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(page.status, 200, "a browser or fetch on the loopback address is served");
    await page.body?.cancel();
    assert.ok(!host.hasExited);
  }),
);
