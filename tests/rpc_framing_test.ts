// JSON-RPC framing and malformed input over a raw socket: every bad input
// gets its error or a clean close, and the host keeps serving.
import assert from "node:assert/strict";
import { fixture, withHost } from "./helpers/host.ts";
import { RawClient, request } from "./helpers/raw.ts";

const RPC = fixture("rpc.ts");

type Answer = { id: unknown; result?: unknown; error?: { code: number; message: string } };

Deno.test(
  "framing: many requests on one connection, answered by id in any order",
  withHost(RPC, {}, async (host) => {
    const raw = await RawClient.connect(host.socket);
    try {
      await raw.send(
        request(1, "evrexec.run", ["slow", "300"]) + request("two", "evrexec.run", ["echo", "b"]) +
          request(3, "core.version"),
      );
      const answers = await raw.lines(3) as Answer[];
      assert.deepEqual(answers.map((a) => a.id).sort(), [1, 3, "two"].sort());
      assert.equal(answers.at(-1)!.id, 1, "the slow call answers last");
      assert.ok(answers.every((a) => (a as { jsonrpc?: string }).jsonrpc === "2.0"));
    } finally {
      await raw.close();
    }
  }),
);

Deno.test(
  "framing: a request split into many writes, CRLF endings, and blank lines",
  withHost(RPC, {}, async (host) => {
    const raw = await RawClient.connect(host.socket);
    try {
      const text = request(1, "evrexec.run", ["echo", "split"]);
      for (const ch of text) await raw.send(ch);
      await raw.send("\n\r\n" + request(2, "core.version").replace("\n", "\r\n"));
      const answers = await raw.lines(2) as Answer[];
      const byId = new Map(answers.map((a) => [a.id, a]));
      assert.deepEqual(byId.get(1)?.result, { arg: "split", evr: "split", type: "string" });
      assert.equal(typeof byId.get(2)?.result, "string");
    } finally {
      await raw.close();
    }
  }),
);

Deno.test(
  "framing: one request without a newline, then a half-close, still gets its answer",
  withHost(RPC, {}, async (host) => {
    const raw = await RawClient.connect(host.socket);
    try {
      await raw.send(request(9, "evrexec.run", ["slow", "200"]).trim());
      await raw.closeWrite();
      const [answer] = await raw.lines(1) as Answer[];
      assert.deepEqual(answer, { jsonrpc: "2.0", result: 200, id: 9 });
      assert.ok(await raw.waitEnd(), "the host closes after answering");
    } finally {
      await raw.close();
    }
  }),
);

Deno.test(
  "framing: batches get arrays; notifications get nothing",
  withHost(RPC, {}, async (host) => {
    const raw = await RawClient.connect(host.socket);
    try {
      const batch = [
        { jsonrpc: "2.0", method: "evrexec.run", params: ["echo", "x"], id: 1 },
        { jsonrpc: "2.0", method: "evrexec.run", params: ["echo", "note"] },
        { jsonrpc: "2.0", method: "nope", id: 2 },
        5,
      ];
      await raw.send(JSON.stringify(batch) + "\n");
      await raw.send(JSON.stringify({ jsonrpc: "2.0", method: "core.version" }) + "\n");
      await raw.send(JSON.stringify([{ jsonrpc: "2.0", method: "core.version" }]) + "\n");
      await raw.send("[]\n");
      await raw.send(request(3, "core.version"));
      const answers = await raw.lines(3) as (Answer | Answer[])[];
      const array = answers.find((a) => Array.isArray(a)) as Answer[];
      const [empty, last] = answers.filter((a) => !Array.isArray(a)) as Answer[];
      assert.equal(array.length, 3);
      assert.deepEqual(array[0].result, { arg: "x", evr: "x", type: "string" });
      assert.equal(array[1].error?.code, -32601);
      assert.equal(array[2].error?.code, -32600);
      assert.equal(empty.error?.code, -32600, "an empty batch is invalid");
      assert.equal(last.id, 3, "nothing was answered for the notifications");
    } finally {
      await raw.close();
    }
  }),
);

Deno.test(
  "framing: a big batch goes at the pace of pipelined calls and fills no queue for others",
  withHost(RPC, { args: ["--rpc-workers", "1", "--rpc-queue", "40"] }, async (host) => {
    const raw = await RawClient.connect(host.socket);
    const other = await host.client();
    try {
      const size = 1000; // the most a batch may hold by default (--max-batch)
      const batch = Array.from({ length: size }, (_, i) => ({
        jsonrpc: "2.0",
        method: "evrexec.run",
        params: i % 100 === 0 ? ["slow", "20"] : ["echo", `b${i}`],
        id: i,
      }));
      const started = performance.now();
      await raw.send(JSON.stringify(batch) + "\n" + request("after", "core.version"));
      const others = await Promise.all(
        [0, 1, 2].map((i) => other.call("evrexec.run", ["echo", `o${i}`])),
      );
      assert.deepEqual(others.map((r) => (r as { arg: string }).arg), ["o0", "o1", "o2"]);
      const answers = await raw.lines(2, 30_000) as (Answer | Answer[])[];
      const array = answers.find((a) => Array.isArray(a)) as Answer[];
      const errors = array.filter((a) => a.error !== undefined);
      console.log(
        `a batch of ${size} (${JSON.stringify(batch).length} bytes), --rpc-queue 40: ` +
          `${errors.length} refused, answered in ${Math.round(performance.now() - started)} ms`,
      );
      assert.equal(errors.length, 0, `no element refused: ${JSON.stringify(errors[0])}`);
      assert.deepEqual(array.map((a) => a.id).sort((a, b) => Number(a) - Number(b)), [
        ...batch.keys(),
      ]);
      assert.ok(answers.some((a) => !Array.isArray(a) && a.id === "after"));
    } finally {
      await raw.close();
    }
  }),
);

Deno.test(
  "errors: each malformed request gets its code and the connection keeps working",
  withHost(RPC, {}, async (host) => {
    const cases: [string, number, unknown][] = [
      ["{not json", -32700, null],
      ['"just a string"', -32600, null],
      ["42", -32600, null],
      ['{"jsonrpc":"1.0","method":"core.version","id":1}', -32600, 1],
      ['{"method":"core.version","id":2}', -32600, 2],
      ['{"jsonrpc":"2.0","method":5,"id":3}', -32600, 3],
      ['{"jsonrpc":"2.0","method":"core.version","id":{"a":1}}', -32600, null],
      ['{"jsonrpc":"2.0","method":"core.version","id":[1]}', -32600, null],
      ['{"jsonrpc":"2.0","method":"core.version","params":"x","id":4}', -32600, 4],
      ['{"jsonrpc":"2.0","method":"no.such","id":5}', -32601, 5],
      ['{"jsonrpc":"2.0","method":"core.version","params":[1],"id":6}', -32602, 6],
      ['{"jsonrpc":"2.0","method":"evrexec.run","params":["nope"],"id":7}', -32602, 7],
      ['{"jsonrpc":"2.0","method":"evrexec.run","params":["fail","z"],"id":8}', -32000, 8],
    ];
    const raw = await RawClient.connect(host.socket);
    try {
      for (const [i, [line, code, id]] of cases.entries()) {
        await raw.send(line + "\n");
        const answer = (await raw.lines(i + 1)).at(-1) as Answer;
        assert.equal(answer.error?.code, code, line);
        assert.deepEqual(answer.id, id, line);
        assert.equal(typeof answer.error?.message, "string");
      }
      await raw.send(request("after", "core.version"));
      const last = (await raw.lines(cases.length + 1)).at(-1) as Answer;
      assert.equal(typeof last.result, "string");
    } finally {
      await raw.close();
    }
  }),
);

Deno.test(
  "errors: invalid UTF-8 and random bytes get -32700; the host stays up",
  withHost(RPC, {}, async (host) => {
    const raw = await RawClient.connect(host.socket);
    try {
      await raw.send(new Uint8Array([0xff, 0xfe, 0x80, 0x7b, 0x0a]));
      await raw.send(new Uint8Array([0, 1, 2, 3, 200, 10]));
      const answers = await raw.lines(2) as Answer[];
      assert.ok(answers.every((a) => a.error?.code === -32700));
    } finally {
      await raw.close();
    }
    assert.equal(typeof await host.call("core.version"), "string");
  }),
);

Deno.test(
  "errors: a line over 1 MiB is answered -32600, then the connection is closed",
  withHost(RPC, {}, async (host) => {
    const raw = await RawClient.connect(host.socket);
    const other = await host.client();
    try {
      const big = '{"jsonrpc":"2.0","method":"evrexec.run","params":["echo","' +
        "x".repeat(1 << 20) + '"],"id":1}\n';
      await raw.send(big).catch(() => {}); // the host may close before all is written
      const [answer] = await raw.lines(1) as Answer[];
      assert.equal(answer.error?.code, -32600);
      assert.match(answer.error!.message, /longer than 1048576 bytes/);
      assert.ok(await raw.waitEnd(), "the connection is closed");
      assert.equal(typeof await other.call("core.version"), "string", "others are served");
    } finally {
      await raw.close();
    }
  }),
);

Deno.test(
  "errors: a client that vanishes mid-call loses nothing for the others",
  withHost(RPC, {}, async (host) => {
    const raw = await RawClient.connect(host.socket);
    await raw.send(request(1, "evrexec.run", ["slow", "300"]));
    await raw.close();
    const c = await host.client();
    assert.equal(await c.call("evrexec.run", ["slow", "400"]), 400);
    assert.equal(
      await c.call("evrexec.run", ["echo", "ok"]).then((r) => (r as { arg: string }).arg),
      "ok",
    );
  }),
);
