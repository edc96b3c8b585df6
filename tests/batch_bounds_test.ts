// What one line can make the host build is bounded: a batch has at most --max-batch requests (one
// -32600 answer past it), and a connection whose client does not take its answers stops being read
// once 1 MiB of answers waits, counting the answer being written (issue 29, item 3).
import assert from "node:assert/strict";
import { fixture, runHost, sleep, withHost } from "./helpers/host.ts";
import { RawClient, request } from "./helpers/raw.ts";
import { dgramCall } from "./helpers/dgram_client.ts";

const RPC = fixture("rpc.ts");
const OBSERVE = fixture("observe.ts"); // big(n): a string of n characters
const MIB = 1 << 20;

/** `[1,1,…]` of just under 1 MiB: 524 k invalid requests in one line (within the line limit). */
function hugeBatch(): string {
  const count = (MIB - 2) >> 1;
  return "[" + "1,".repeat(count - 1) + "1]\n";
}

/** Peak resident memory of `pid` so far (VmHWM), in MiB. */
function peakMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

interface ErrorAnswer {
  readonly error: { readonly code: number; readonly message: string };
  readonly id: unknown;
}

Deno.test(
  "batch: a 1 MiB line of 524 k requests is one -32600 answer and memory stays bounded",
  withHost(RPC, {}, async (host) => {
    const before = peakMiB(host.pid);
    const client = await RawClient.connect(host.socket);
    try {
      const line = hugeBatch();
      assert.ok(line.length <= MIB + 1);
      await client.send(line);
      const [answer] = await client.lines(1, 30_000) as ErrorAnswer[];
      await sleep(200);
      const bytes = client.text.length;
      const after = peakMiB(host.pid);
      console.log(
        `1 MiB batch line: one answer of ${bytes} bytes; peak RSS ${before.toFixed(0)} -> ` +
          `${after.toFixed(0)} MiB`,
      );
      assert.ok(!Array.isArray(answer), "one error answer, not an array of 524 k");
      assert.equal(answer.error.code, -32600);
      assert.match(answer.error.message, /batch of 524287 requests; at most 1000 .*--max-batch/);
      assert.equal(answer.id, null);
      assert.ok(bytes < 1000, `the answer is short (${bytes} bytes)`);
      assert.ok(after - before < 150, `peak RSS grew ${(after - before).toFixed(0)} MiB`);
      // The connection is still served.
      await client.send(request(2, "evrexec.run", ["echo", "after"]));
      const [, next] = await client.lines(2) as { result: { arg: string } }[];
      assert.equal(next.result.arg, "after");
    } finally {
      await client.close();
    }
  }),
);

Deno.test(
  "batch: 16 such lines at once leave the host alive and another client answered at once",
  withHost(RPC, {}, async (host) => {
    const line = new TextEncoder().encode(hugeBatch());
    const before = peakMiB(host.pid);
    const clients = await Promise.all(
      Array.from({ length: 16 }, () => RawClient.connect(host.socket)),
    );
    try {
      await Promise.all(clients.map((client) => client.send(line)));
      const started = performance.now();
      const polite = await host.client();
      const answer = await polite.call("evrexec.run", ["echo", "polite"]) as { arg: string };
      const politeMs = performance.now() - started;
      assert.equal(answer.arg, "polite");
      const answers = await Promise.all(clients.map((client) => client.lines(1, 60_000)));
      const after = peakMiB(host.pid);
      console.log(
        `16 x 1 MiB batch lines: the polite call answered in ${politeMs.toFixed(0)} ms; ` +
          `peak RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MiB`,
      );
      for (const [one] of answers as ErrorAnswer[][]) assert.equal(one.error.code, -32600);
      assert.ok(politeMs < 10_000, `the polite call waited ${politeMs.toFixed(0)} ms`);
      assert.ok(after - before < 600, `peak RSS grew ${(after - before).toFixed(0)} MiB`);
      assert.ok(!host.hasExited, "the host lives");
      assert.doesNotMatch(host.log, /halted at its heap cap|memory limit/);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  }),
);

Deno.test(
  "batch: --max-batch 3 answers a batch of 3 as an array and refuses a batch of 4",
  withHost(RPC, { args: ["--max-batch", "3"] }, async (host) => {
    const client = await RawClient.connect(host.socket);
    try {
      const call = (id: number) => ({
        jsonrpc: "2.0",
        method: "evrexec.run",
        params: ["echo", String(id)],
        id,
      });
      await client.send(JSON.stringify([call(1), call(2), call(3)]) + "\n");
      await client.send(JSON.stringify([call(4), call(5), call(6), call(7)]) + "\n");
      const lines = await client.lines(2);
      const three = lines.find((line) => Array.isArray(line)) as { result: { arg: string } }[];
      assert.deepEqual(three.map((one) => one.result.arg).sort(), ["1", "2", "3"]);
      const refused = lines.find((line) => !Array.isArray(line)) as ErrorAnswer;
      assert.equal(refused.error.code, -32600);
      assert.equal(
        refused.error.message,
        "invalid request: batch of 4 requests; at most 3 are taken (--max-batch)",
      );
    } finally {
      await client.close();
    }
  }),
);

Deno.test("batch: a bad --max-batch is one line and exit 2", async () => {
  for (const value of ["0", "x", "100001"]) {
    const { code, stderr } = await runHost(["--max-batch", value, RPC]);
    assert.equal(code, 2, stderr);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.equal(
      stderr.trim(),
      `evrexec-deno: --max-batch must be an integer from 1 to 100000, got "${value}"`,
    );
  }
});

Deno.test(
  "unsent bytes: behind an answer the client does not take, the host reads no more requests",
  withHost(OBSERVE, { args: ["--rpc-workers", "1"] }, async (host) => {
    const greedy = await Deno.connect({ transport: "unix", path: host.socket });
    const encoder = new TextEncoder();
    try {
      // A 4 MiB answer the client never reads: most of it waits in the host.
      const big = {
        jsonrpc: "2.0",
        method: "evrexec.run",
        params: ["big", String(4 * MIB)],
        id: 0,
      };
      await greedy.write(encoder.encode(JSON.stringify(big) + "\n"));
      await sleep(1000);
      const requests = async () => {
        const rows = await host.call("stats.get_statistics", ["rpc:stream-requests"]) as string[];
        return Number(/= (\d+)/.exec(rows[0])?.[1]);
      };
      const start = await requests();
      let calls = "";
      for (let id = 1; id <= 200; id++) calls += request(id, "system.listMethods");
      await greedy.write(encoder.encode(calls));
      await sleep(1500);
      const read = (await requests()) - start;
      console.log(`behind a 4 MiB answer not taken: ${read} of 200 more requests read`);
      // Each stats call on the other connection counts as 1.
      assert.ok(read <= 3, `the host read ${read} requests behind an answer not taken`);
    } finally {
      greedy.close();
    }
  }),
);

/** Sends `count` requests for `size`-character answers to the datagram socket `server` from a
 * bound socket that never reads, in a child process (Unix datagrams need --unstable-net); the
 * child keeps its socket open for `holdMs`. */
async function unreadDatagrams(server: string, count: number, size: number, holdMs: number) {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-test-" });
  const code = `
    const conn = Deno.listenDatagram({ transport: "unixpacket", path: ${
    JSON.stringify(`${dir}/reply.sock`)
  } });
    const encoder = new TextEncoder();
    for (let id = 0; id < ${count}; id++) {
      const request = { jsonrpc: "2.0", method: "evrexec.run", params: ["big", "${size}"], id };
      await conn.send(encoder.encode(JSON.stringify(request)),
        { transport: "unixpacket", path: ${JSON.stringify(server)} });
    }
    console.log("sent");
    await new Promise((resolve) => setTimeout(resolve, ${holdMs}));
    conn.close();`;
  try {
    const { code: exit, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--unstable-net", code],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(exit, 0, new TextDecoder().decode(stderr));
    assert.match(new TextDecoder().decode(stdout), /sent/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("unsent bytes: datagram answers a client does not read wait at most 1 MiB, and hold up no other client", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-test-" });
  const server = `${dir}/dgram.sock`;
  try {
    await withHost(OBSERVE, { args: ["--rpc-dgram", `unix:${server}`] }, async (host) => {
      const before = peakMiB(host.pid);
      const greedy = unreadDatagrams(server, 600, 60_000, 4000);
      await sleep(1500);
      const started = performance.now();
      const polite = await dgramCall(`unix:${server}`, "core.uptime");
      const politeMs = performance.now() - started;
      await greedy;
      const after = peakMiB(host.pid);
      const rows = await host.call("stats.get_statistics", [
        "rpc:unix_dgram-unanswered",
      ]) as string[];
      console.log(
        `600 answers of 60 kB to a reader that never reads: ${rows[0]}; ` +
          `peak RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MiB; another client answered in ` +
          `${politeMs.toFixed(0)} ms`,
      );
      assert.ok(polite.result !== undefined, JSON.stringify(polite));
      // Its answer goes out on another lane than the greedy client's (before: 2.6-3 s behind it).
      assert.ok(politeMs < 1500, `another client waited ${politeMs.toFixed(0)} ms`);
      await host.waitFor(
        /dropped \d+ datagram answers: 1048576 bytes of answers were waiting to be sent to their sender/,
      );
      assert.ok(after - before < 400, `peak RSS grew ${(after - before).toFixed(0)} MiB`);
    })();
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
