// RPC methods over the real socket: evrexec.run with its params, data and
// results, and the introspection methods.
import assert from "node:assert/strict";
import { RpcError } from "../src/rpc/errors.ts";
import { fixture, withHost } from "./helpers/host.ts";

const RPC = fixture("rpc.ts");
const TASKS = fixture("tasks.ts");

async function rpcError(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RpcError) return error;
    throw error;
  }
  throw new Error("expected an RPC error");
}

Deno.test(
  "rpc: evrexec.run passes data as the argument and as $evr(data), positional or named",
  withHost(RPC, {}, async (host) => {
    const c = await host.client();
    const expected = { arg: "hi there", evr: "hi there", type: "string" };
    assert.deepEqual(await c.call("evrexec.run", ["echo", "hi there"]), expected);
    assert.deepEqual(await c.call("evrexec.run", { name: "echo", data: "hi there" }), expected);
    assert.deepEqual(await c.call("evroute.run", ["echo", "hi there"]), expected);
    assert.deepEqual(await c.call("evrexec.run", ["echo"]), { arg: "", evr: "", type: "string" });
    assert.deepEqual(await c.call("evrexec.run", { name: "echo", data: { a: [1, 2] } }), {
      arg: '{"a":[1,2]}',
      evr: '{"a":[1,2]}',
      type: "string",
    });
    assert.deepEqual(await c.call("evrexec.run", ["echo", 7]), {
      arg: "7",
      evr: "7",
      type: "string",
    });
    assert.equal(
      await c.call("evrexec.run", ["later", "x"]),
      "x|x",
      "$evr(data) holds across awaits",
    );
  }),
);

Deno.test(
  "rpc: results of several types; values without JSON form are errors",
  withHost(RPC, {}, async (host) => {
    const c = await host.client();
    const run = (kind: string) => c.call("evrexec.run", ["kinds", kind]);
    assert.equal(await run("string"), "text");
    assert.equal(await run("number"), 42.5);
    assert.equal(await run("boolean"), true);
    assert.equal(await run("null"), null);
    assert.equal(await run("undefined"), null);
    assert.deepEqual(await run("array"), [1, "two", { three: 3 }]);
    assert.deepEqual(await run("object"), { nested: { list: [1, 2] } });
    for (const kind of ["bigint", "function"]) {
      const error = await rpcError(run(kind));
      assert.equal(error.code, -32603);
      assert.match(error.message, /the result of kinds cannot be sent as JSON/);
    }
  }),
);

Deno.test(
  "rpc: a function that throws answers -32000 with its message, name and stack",
  withHost(RPC, {}, async (host) => {
    const error = await rpcError(host.call("evrexec.run", ["fail", "input"]));
    assert.equal(error.code, -32000);
    assert.equal(error.message, "failed on input");
    const data = error.data as { name: string; stack: string };
    assert.equal(data.name, "TypeError");
    assert.match(data.stack, /at fail \(file:.*rpc\.ts:\d+:\d+\)/);
    assert.equal(await host.call("evrexec.run", ["kinds", "string"]), "text", "still serving");
  }),
);

Deno.test(
  "rpc: unknown functions and bad params answer -32602",
  withHost(RPC, {}, async (host) => {
    const cases: [unknown, RegExp][] = [
      [["nope"], /unknown function "nope" \(exported functions: .*echo.*\)/],
      [["notAFunction"], /unknown function "notAFunction"/],
      [["__proto__"], /unknown function "__proto__"/],
      [["constructor"], /unknown function "constructor"/],
      [["toString"], /unknown function "toString"/],
      [[], /missing name/],
      [[1], /name must be a string/],
      [["echo", "a", {}, "b"], /too many params/],
      [["echo", "a", "b"], /metadata must be an object/],
      [{ name: "echo", extra: 1 }, /unknown param "extra"/],
    ];
    for (const [params, pattern] of cases) {
      const error = await rpcError(host.call("evrexec.run", params as unknown[]));
      assert.equal(error.code, -32602, JSON.stringify(params));
      assert.match(error.message, pattern);
    }
  }),
);

Deno.test(
  "rpc: system, core and evrexec introspection",
  withHost(TASKS, { exec: ["name=record;workers=2", "name=other;wait=5000000"] }, async (host) => {
    await host.waitFor(/called index=1 /);
    const c = await host.client();
    const methods = await c.call("system.listMethods") as string[];
    for (
      const name of [
        "evrexec.run",
        "evroute.run",
        "evrexec.list",
        "core.psx",
        "core.version",
        "core.uptime",
        "system.listMethods",
        "system.methodHelp",
      ]
    ) assert.ok(methods.includes(name), name);
    assert.match(
      await c.call("system.methodHelp", ["evrexec.run"]) as string,
      /^evrexec\.run name \[data\] \[metadata\]: Runs/,
    );
    assert.equal((await rpcError(c.call("system.methodHelp", ["nope"]))).code, -32602);
    assert.match(await c.call("core.version") as string, /^evrexec-deno \d+\.\d+\.\d+ \(deno \d/);
    const uptime = await c.call("core.uptime") as { uptime: number; up_since: string; now: string };
    assert.ok(uptime.uptime >= 0 && Date.parse(uptime.up_since) <= Date.parse(uptime.now));
    const psx = await c.call("core.psx") as {
      task: string;
      index: number;
      state: string;
      description: string;
    }[];
    assert.deepEqual(
      psx.map((row) => row.description),
      [
        "RPC worker child=0",
        "RPC worker child=1",
        "EVREXEC child=0 exec=record",
        "EVREXEC child=1 exec=record",
        "EVREXEC child=0 exec=other",
      ],
    );
    assert.deepEqual(psx.filter((r) => r.task === "record").map((r) => r.state), [
      "running",
      "running",
    ]);
    const list = await c.call("evrexec.list") as {
      name: string;
      spec: string;
      workers: { state: string }[];
    }[];
    assert.deepEqual(list.map((t) => [t.name, t.spec, t.workers.length]), [
      ["record", "name=record;workers=2", 2],
      ["other", "name=other;wait=5000000", 1],
    ]);
    assert.equal(list[1].workers[0].state, "waiting");
  }),
);

Deno.test(
  "rpc: large data and large results (past the fast hop's 64 KiB) arrive whole",
  withHost(RPC, {}, async (host) => {
    const c = await host.client();
    for (const size of [10, 65_000, 70_000, 300_000]) {
      const data = "é".repeat(size); // two bytes each in UTF-8
      const answer = await c.call("evrexec.run", ["echo", data]) as { arg: string; evr: string };
      assert.equal(answer.arg.length, size);
      assert.equal(answer.arg, data);
      assert.equal(answer.evr, data);
    }
    const failure = await rpcError(c.call("evrexec.run", ["fail", "x".repeat(100_000)]));
    assert.equal(failure.code, -32000);
    // A message is cut at 16,384 characters (its first ones kept), with a note of the rest.
    assert.equal(
      failure.message,
      `failed on ${"x".repeat(16_384 - 10)}… (${100_010 - 16_384} more characters)`,
    );
  }),
);
