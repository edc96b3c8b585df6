// A connection that is taking bytes is busy: --idle-timeout never cuts an answer a slow client is
// still reading. Only a client that takes nothing for the whole timeout is closed, with one log line.
import assert from "node:assert/strict";
import { fixture, sleep, withHost } from "./helpers/host.ts";

const SCRIPT = fixture("observe.ts"); // big(n): a string of n characters

const encoder = new TextEncoder();

/** Connects and sends one `evrexec.run big <size>` request. */
async function askBig(socket: string, size: number): Promise<Deno.UnixConn> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  const request = { jsonrpc: "2.0", method: "evrexec.run", params: ["big", String(size)], id: 1 };
  await conn.write(encoder.encode(JSON.stringify(request) + "\n"));
  return conn;
}

Deno.test(
  "slow reader: a multi-MiB answer read 64 KiB every 50 ms arrives whole past --idle-timeout",
  withHost(SCRIPT, { args: ["--idle-timeout", "1000", "--rpc-workers", "1"] }, async (host) => {
    const size = 6 << 20;
    const conn = await askBig(host.socket, size);
    const started = performance.now();
    const chunks: Uint8Array[] = [];
    let received = 0;
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        chunks.push(buffer.slice(0, n));
        received += n;
        if (buffer[n - 1] === 10) break; // the one answer line is complete
        await sleep(50);
      }
    } catch (error) {
      assert.fail(`the host cut the answer after ${received} bytes: ${error}`);
    } finally {
      conn.close();
    }
    const ms = performance.now() - started;
    const text = new TextDecoder().decode(
      chunks.reduce((all, chunk) => {
        const next = new Uint8Array(all.length + chunk.length);
        next.set(all);
        next.set(chunk, all.length);
        return next;
      }, new Uint8Array()),
    );
    console.log(
      `${received} bytes in ${Math.round(ms)} ms (${(received / ms / 1000).toFixed(2)} MB/s)`,
    );
    assert.ok(
      text.endsWith("\n"),
      `the answer was cut after ${received} bytes (${Math.round(ms)} ms)`,
    );
    const answer = JSON.parse(text) as { result: string; id: number };
    assert.equal(answer.id, 1);
    assert.equal(answer.result.length, size);
    assert.ok(ms > 1000, `the read took longer than --idle-timeout (${Math.round(ms)} ms)`);
    assert.equal(host.count(/took no bytes/), 0, host.log);
  }),
);

Deno.test(
  "slow reader: a client that takes nothing of its answer is closed after --idle-timeout, logged once",
  withHost(SCRIPT, { args: ["--idle-timeout", "1000", "--rpc-workers", "1"] }, async (host) => {
    const conn = await askBig(host.socket, 4 << 20);
    const started = performance.now();
    const [line] = await host.waitFor(/^.*closing RPC connection .* took no bytes .*$/m, 15_000);
    const ms = performance.now() - started;
    console.log(line);
    assert.match(line, /\[WRN\]/);
    assert.match(line, /for 1000 ms; (\d+) of its answer bytes were unsent/);
    const unsent = Number(/(\d+) of its answer bytes were unsent/.exec(line)![1]);
    assert.ok(unsent > 1 << 20 && unsent <= (4 << 20) + 100, `unsent ${unsent}`);
    assert.ok(ms < 10_000, `closed after ${Math.round(ms)} ms`);
    // What the socket buffers held still comes, then the end: the connection is closed.
    const buffer = new Uint8Array(1 << 20);
    let total = 0;
    try {
      for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) total += n;
    } catch {
      // reset: closed as well
    }
    conn.close();
    assert.ok(total < 4 << 20, `the answer was not sent whole (${total} bytes)`);
    await sleep(1500);
    assert.equal(host.count(/took no bytes/), 1, "logged once");
    // The host serves on.
    assert.equal(await host.call("evrexec.run", ["echo", "still"]), "still");
  }),
);
