// Bad BINRPC frames sent to the host's --rpc-ctl transport (the codec's own
// fuzzing is tests/unit/binrpc_fuzz_test.ts): random bytes, bad lengths,
// truncated records, deep nesting. Each complete bad frame gets exactly one
// fault and the connection is closed, as Kamailio does; an incomplete one
// waits no longer than --idle-timeout; the host never crashes or hangs, and
// answers kamcmd's calls afterwards. Seeded, so a failure replays.
import assert from "node:assert/strict";
import fc from "fast-check";
import dgram from "node:dgram";
import { fixture, sleep, startHost, type TestHost } from "./helpers/host.ts";
import { decodeReply, decodeRequest, encodeRequest } from "../src/rpc/kamailio/binrpc.ts";

const SEED = fixture("kamailio_seed.ts");

/** A request header (type 0, 2 length bytes, 1 cookie byte) in front of `body`. */
function framed(body: Uint8Array, cookie = 0x2a): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out.set([0xa1, 0x04, body.length >> 8, body.length & 0xff, cookie]);
  out.set(body, 5);
  return out;
}

/** `depth` structs, each the member "a" of the one around it, after the method "m". */
function nested(depth: number): Uint8Array {
  const bytes = [0x21, 0x6d, 0x00];
  for (let i = 0; i < depth; i++) bytes.push(0x03, 0x25, 0x61, 0x00);
  bytes.push(0x10, 0x01);
  for (let i = 0; i < depth; i++) bytes.push(0x83);
  return framed(new Uint8Array(bytes));
}

/** Starts the seed's host with a ctl Unix socket and a ctl UDP port. */
async function ctlHost(
  extra: string[] = [],
): Promise<{ host: TestHost; path: string; udp: number }> {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-ctl-" });
  const path = `${dir}/ctl.sock`;
  const host = await startHost(SEED, {
    socket: `${dir}/rpc.sock`,
    args: ["--rpc-ctl", `unix:${path}`, "--rpc-ctl", "udp:127.0.0.1:0", ...extra],
  });
  const cleanup = host.cleanup.bind(host);
  host.cleanup = async () => {
    await cleanup();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const [, udp] = await host.waitFor(/BINRPC \(kamcmd\) on udp:127\.0\.0\.1:(\d+)/);
  return { host, path, udp: Number(udp) };
}

/** Everything the host sends on one connection after `bytes`, until it closes (or `ms` pass). */
async function exchange(path: string, bytes: Uint8Array, ms = 10_000): Promise<{
  received: Uint8Array;
  closed: boolean;
}> {
  const conn = await Deno.connect({ transport: "unix", path });
  const chunks: Uint8Array[] = [];
  let closed = false;
  const timer = setTimeout(() => conn.close(), ms);
  try {
    await conn.write(bytes).catch(() => 0);
    const chunk = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(chunk).catch(() => null);
      if (n === null) {
        closed = true;
        break;
      }
      chunks.push(chunk.slice(0, n));
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
  const received = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const c of chunks) received.set(c, (at += c.length) - c.length);
  return { received, closed };
}

/** Checks that `received` is exactly one fault frame with `code` (and `cookie`). */
function assertOneFault(received: Uint8Array, code: number, cookie?: number): void {
  const reply = decodeReply(received);
  assert.equal(reply.kind, "fault", `one fault, got ${JSON.stringify(reply)}`);
  if (reply.kind !== "fault") return;
  assert.equal(reply.frameBytes, received.length, "exactly one frame");
  const [faultCode] = reply.records;
  assert.deepEqual(faultCode, { type: "int", value: code });
  if (cookie !== undefined) assert.equal(reply.cookie, cookie);
}

/** The host still answers a good call on the ctl socket. */
async function stillAnswers(path: string): Promise<void> {
  const frame = encodeRequest(99, "evrexec.run", ["test", "after"])!;
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    await conn.write(frame);
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    const reply = decodeReply(buf.subarray(0, n ?? 0));
    assert.equal(reply.kind, "reply", JSON.stringify(reply));
  } finally {
    conn.close();
  }
}

Deno.test("ctl bad frames: each complete bad frame gets one fault, then the connection closes", async () => {
  const { host, path } = await ctlHost();
  try {
    // Kinds of bad frames: random bytes, random bodies behind a good header, bad
    // declared lengths, truncated records (a good request with its body cut short
    // but its length kept), deep nesting.
    const good = encodeRequest(0x2a, "evrexec.run", ["test", "x".repeat(40)])!;
    const badFrame = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 600 }).map((
        b,
      ) => (b[0] = b[0] === 0xa1 ? 0 : b[0], b)),
      fc.uint8Array({ maxLength: 600 }).map((body) => framed(body)),
      fc.integer({ min: 1, max: good.length - 6 }).map((cut) => {
        const body = good.slice(5, good.length - cut);
        return framed(body);
      }),
      fc.integer({ min: 9, max: 3000 }).map(nested),
      fc.integer({ min: 65536, max: 0x7fffffff }).map((length) =>
        new Uint8Array([
          0xa1,
          0x0c,
          length >>> 24,
          (length >>> 16) & 0xff,
          (length >>> 8) & 0xff,
          length & 0xff,
          1,
        ])
      ),
    ).filter((bytes) => decodeRequest(bytes).kind === "error");
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(badFrame, async (bytes) => {
        runs++;
        const expected = decodeRequest(bytes);
        assert.equal(expected.kind, "error");
        if (expected.kind !== "error") return;
        const { received, closed } = await exchange(path, bytes);
        assert.ok(closed, "the host closed the connection");
        assertOneFault(received, expected.error.faultCode, expected.error.cookie);
      }),
      { seed: 20261207, numRuns: 150 },
    );
    assert.ok(runs >= 150);
    await stillAnswers(path);
    const stats = await host.call("stats.get_statistics", [
      "rpc:ctl-parse_errors",
      "rpc:ctl-requests",
    ]);
    assert.deepEqual(stats, [`rpc:ctl-parse_errors = ${runs}`, `rpc:ctl-requests = 1`]);
    assert.equal(host.hasExited, false);
    assert.doesNotMatch(host.log, /internal error|Uncaught|panicked/);
  } finally {
    await host.cleanup();
  }
});

Deno.test("ctl bad frames: an incomplete frame waits only for --idle-timeout; busy connections are bounded", async () => {
  const { host, path } = await ctlHost(["--idle-timeout", "500", "--max-connections", "2"]);
  try {
    const good = encodeRequest(1, "core.version", [])!;
    const started = performance.now();
    const { received, closed } = await exchange(path, good.subarray(0, good.length - 2), 15_000);
    const ms = performance.now() - started;
    assert.ok(closed, "closed by the host");
    assert.equal(received.length, 0, "nothing to answer to");
    assert.ok(ms >= 400 && ms < 10_000, `closed after ${Math.round(ms)} ms`);

    // Two connections each mid-frame (busy), then a third: it is refused (closed at once).
    const busy = await Promise.all([1, 2].map(async () => {
      const conn = await Deno.connect({ transport: "unix", path });
      await conn.write(good.subarray(0, 3));
      return conn;
    }));
    await sleep(100);
    const third = await exchange(path, good, 5000);
    assert.ok(third.closed);
    assert.equal(third.received.length, 0, "refused past --max-connections");
    for (const conn of busy) conn.close();
    await sleep(200);
    await stillAnswers(path);
  } finally {
    await host.cleanup();
  }
});

Deno.test("ctl bad frames over udp: one fault datagram per bad datagram, good ones answered", async () => {
  const { host, udp } = await ctlHost();
  const socket = dgram.createSocket("udp4");
  try {
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
    const answers: Uint8Array[] = [];
    socket.on("message", (data) => answers.push(new Uint8Array(data)));
    const send = (bytes: Uint8Array) =>
      new Promise<void>((resolve, reject) =>
        socket.send(bytes, udp, "127.0.0.1", (error) => error ? reject(error) : resolve())
      );
    const good = encodeRequest(5, "evrexec.run", ["test", "udp"])!;
    const bad = [
      new Uint8Array([1, 2, 3, 4, 5]),
      nested(50),
      good.subarray(0, good.length - 3), // a datagram holding part of a frame
      framed(new Uint8Array([0x21, 0x6d, 0x00, 0x91])),
    ];
    for (const bytes of bad) await send(bytes);
    await send(good);
    const deadline = Date.now() + 10_000;
    while (answers.length < bad.length + 1 && Date.now() < deadline) await sleep(25);
    assert.equal(answers.length, bad.length + 1, "one answer per datagram");
    const kinds = answers.map((a) => decodeReply(a).kind).sort();
    assert.deepEqual(kinds, ["fault", "fault", "fault", "fault", "reply"]);
    assert.equal(host.hasExited, false);
  } finally {
    socket.close();
    await host.cleanup();
  }
});
