// Security: the socket keeps other users out (checked as uid 65534 with a
// probe that does not need Deno's own directory); no RPC method runs code
// or imports a module the operator did not name; names and data are only that.
import assert from "node:assert/strict";
import { RpcError } from "../src/rpc/errors.ts";
import { fixture, startHost, withHost } from "./helpers/host.ts";
import { findNobodyProbe } from "./helpers/nobody.ts";

const RPC = fixture("rpc.ts");
const nobody = await findNobodyProbe();
if (nobody.probe === null) {
  console.log(`security: the test as a second user is skipped: ${nobody.why}`);
}

Deno.test({
  name: "security: another user cannot connect with the default mode 0600; 0666 lets them",
  ignore: nobody.probe === null,
  async fn() {
    console.log(`probe as uid 65534: ${nobody.probe!.name}`);
    for (
      const [args, expected] of [[[], "PermissionDenied"], [
        ["--socket-mode", "0666"],
        "connected",
      ]] as const
    ) {
      const host = await startHost(RPC, { args: [...args] });
      try {
        await Deno.chmod(host.dir, 0o755); // only the socket's own mode stands in the way
        assert.equal(
          await nobody.probe!.connect(host.socket),
          expected,
          `mode ${args.join(" ") || "default"}`,
        );
      } finally {
        await host.cleanup();
      }
    }
  },
});

Deno.test("security: the socket's directory and file modes (checked without a second user too)", async () => {
  const host = await startHost(RPC);
  try {
    const info = await Deno.lstat(host.socket);
    assert.equal(info.mode! & 0o777, 0o600);
    assert.equal(info.uid, Deno.uid());
    assert.equal(info.mode! & 0o077, 0, "no access for group or others");
  } finally {
    await host.cleanup();
  }
});

Deno.test(
  "security: no method runs code or imports a module; only exported functions run",
  withHost(RPC, {}, async (host) => {
    const c = await host.client();
    const methods = await c.call("system.listMethods") as string[];
    assert.deepEqual(methods, [
      "core.ps", // pids and descriptions, for kamcmd ps
      "core.psx",
      "core.uptime",
      "core.version",
      "evrexec.cluster", // the fleet's view (a host alone: one error)
      "evrexec.functions", // counters only
      "evrexec.heap", // asks each worker its heap in use
      "evrexec.list",
      "evrexec.reload",
      "evrexec.reopen_log", // reopens the --log-file at its own path, never another
      "evrexec.restart",
      "evrexec.result", // reads a submitted call's stored outcome
      "evrexec.run",
      "evrexec.start",
      "evrexec.stop",
      "evrexec.submit", // queues a call of an exported function only (a host alone: one error)
      "evrexec.trigger", // runs a tick of a task's own exported function only
      "evroute.run",
      "stats.clear_statistics",
      "stats.get_statistics",
      "stats.reset_statistics",
      "system.listMethods",
      "system.methodHelp",
    ]);
    const notFunctions = [
      "eval",
      "Function",
      "import",
      "require",
      "globalThis",
      "constructor",
      "__proto__",
      "toString",
      "valueOf",
      "hasOwnProperty",
      "__defineGetter__",
      "then",
      "default",
      "file:///etc/passwd",
      "../../etc/passwd",
      "Deno.exit",
      "notAFunction",
    ];
    for (const name of notFunctions) {
      const error = await c.call("evrexec.run", [name, "x"]).then(
        () => assert.fail(`${name} ran`),
        (e) => e as RpcError,
      );
      assert.equal(error.code, -32602, name);
      assert.match(error.message, /unknown function/);
    }
    for (const method of ["constructor", "__proto__", "toString", "evrexec.run.call"]) {
      const error = await c.call(method).then(
        () => assert.fail(`${method} answered`),
        (e) => e as RpcError,
      );
      assert.equal(error.code, -32601, method);
    }
    const helpError = await c.call("system.methodHelp", ["__proto__"]).then(
      () => assert.fail("answered"),
      (e) => e as RpcError,
    );
    assert.equal(helpError.code, -32602);
    const protoParams = await c.call(
      "evrexec.run",
      JSON.parse('{"name":"echo","__proto__":{"polluted":1}}'),
    )
      .then(() => assert.fail("answered"), (e) => e as RpcError);
    assert.equal(protoParams.code, -32602);
    assert.match(protoParams.message, /unknown param "__proto__"/);
  }),
);

Deno.test(
  "security: data is passed as data, never interpreted",
  withHost(RPC, {}, async (host) => {
    const c = await host.client();
    const payloads = [
      "globalThis.pwned = 1",
      '"); globalThis.pwned = 1; ("',
      "${globalThis.pwned = 1}",
      "$evr(data)",
      "$var(x)",
      "{{pwned}}",
      "\u0000\u001b[31mred\u2028\u2029",
      "🦕".repeat(1000),
    ];
    for (const data of payloads) {
      const answer = await c.call("evrexec.run", ["echo", data]) as { arg: string; evr: string };
      assert.equal(answer.arg, data);
      assert.equal(answer.evr, data);
    }
    const objectData = { __proto__: { pwned: 1 }, constructor: "x" };
    const answer = await c.call("evrexec.run", {
      name: "echo",
      data: JSON.parse(JSON.stringify(objectData)),
    }) as {
      arg: string;
    };
    assert.equal(typeof answer.arg, "string", "structured data arrives as its JSON text");
    assert.equal(await c.call("evrexec.run", ["probe"]), "undefined", "nothing ran the data");
    assert.match(host.log, /host ready/);
  }),
);
