// RpcClient, the library client of mod.ts: every failure of a call is one rejection of that call's
// promise, never an uncaught rejection that ends the program using it; an answer the host gave
// before it closed the connection reaches the calls still waiting (issue 29, item 7).
import assert from "node:assert/strict";
import { fixture, ROOT, startHost, withHost } from "./helpers/host.ts";

const RPC = fixture("rpc.ts");
const MOD = new URL("../mod.ts", import.meta.url).href;

/**
 * Runs `body` as a program of its own that imports RpcClient from mod.ts, with the socket as
 * `socket` and the extra arguments as `args`; returns its exit code and output.
 */
async function runProgram(body: string, args: readonly string[]) {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-test-" });
  try {
    const file = `${dir}/program.ts`;
    await Deno.writeTextFile(
      file,
      `import { RpcClient, RpcError } from ${JSON.stringify(MOD)};\n` +
        `const [socket, ...args] = Deno.args;\n` +
        `function what(e: unknown) {\n` +
        `  return e instanceof RpcError ? \`RpcError \${e.code}: \${e.message}\`\n` +
        `    : \`\${(e as Error).name}: \${(e as Error).message}\`;\n` +
        `}\n` + body,
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--allow-all", "--config", `${ROOT}deno.json`, file, ...args],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test(
  "library client: a request over 1 MiB is one caught RpcError -32600 from the host; the program exits 0",
  withHost(RPC, {}, async (host) => {
    const run = await runProgram(
      `const client = await RpcClient.connect(socket);
      try {
        await client.call("evrexec.run", ["echo", "x".repeat(1_500_000)]);
        console.log("no error");
      } catch (error) {
        console.log("caught " + what(error));
      }
      try {
        await client.call("core.version");
      } catch (error) {
        console.log("then " + what(error));
      }
      await client.close();
      console.log("done");`,
      [host.socket],
    );
    console.log(run.stdout.trim());
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      "caught RpcError -32600: invalid request: line longer than 1048576 bytes; " +
        "closing the connection\nthen Error: the connection is closed\ndone\n",
    );
    assert.equal(run.stderr, "");
  }),
);

Deno.test(
  "library client: pipelined calls each settle once when the host cuts the connection or dies",
  withHost(RPC, {}, async (host) => {
    // Three slow calls in flight, then one over-long request: the host answers -32600 and closes.
    const cut = await runProgram(
      `const client = await RpcClient.connect(socket);
      const calls = [
        client.call("evrexec.run", ["slow", "3000"]),
        client.call("evrexec.run", ["slow", "3000"]),
        client.call("evrexec.run", ["echo", "y".repeat(2_000_000)]),
        client.call("evrexec.run", ["slow", "3000"]),
      ];
      for (const [i, outcome] of (await Promise.allSettled(calls)).entries()) {
        console.log(i + " " + outcome.status + " " +
          (outcome.status === "rejected" ? what(outcome.reason) : ""));
      }
      await client.close();`,
      [host.socket],
    );
    console.log(cut.stdout.trim());
    assert.equal(cut.code, 0, cut.stderr);
    const lines = cut.stdout.trim().split("\n");
    assert.equal(lines.length, 4);
    for (const line of lines) {
      assert.match(
        line,
        /^\d rejected (RpcError -32600: invalid request: line longer than 1048576 bytes|Error: the connection closed before the answer came)/,
      );
    }
    assert.match(lines[2], /RpcError -32600: invalid request: line longer than 1048576 bytes/);
  }),
);

Deno.test("library client: pipelined calls to a host that is killed each reject once", async () => {
  const host = await startHost(RPC);
  try {
    const run = await runProgram(
      `const client = await RpcClient.connect(socket);
      const calls = [1, 2, 3].map(() => client.call("evrexec.run", ["slow", "5000"]));
      await new Promise((resolve) => setTimeout(resolve, 500));
      Deno.kill(Number(args[0]), "SIGKILL");
      for (const outcome of await Promise.allSettled(calls)) {
        console.log(outcome.status + " " +
          (outcome.status === "rejected" ? what(outcome.reason) : ""));
      }
      console.log(what(await client.call("core.version").catch((error) => error)));`,
      [host.socket, String(host.pid)],
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      "rejected Error: the connection closed before the answer came\n".repeat(3) +
        "Error: the connection is closed\n",
    );
  } finally {
    await host.cleanup();
  }
});

Deno.test(
  "library client: past --max-connections, the host's busy answer reaches each waiting call",
  withHost(RPC, { args: ["--max-connections", "1"] }, async (host) => {
    const busy = await Deno.connect({ transport: "unix", path: host.socket });
    try {
      await busy.write(new TextEncoder().encode('{"jsonrpc":"2.0",')); // half a line: busy
      await new Promise((resolve) => setTimeout(resolve, 300));
      const run = await runProgram(
        `const client = await RpcClient.connect(socket);
        const calls = [1, 2].map(() => client.call("core.version"));
        for (const outcome of await Promise.allSettled(calls)) {
          console.log(outcome.status + " " +
            (outcome.status === "rejected" ? what(outcome.reason) : ""));
        }`,
        [host.socket],
      );
      assert.equal(run.code, 0, run.stderr);
      assert.equal(
        run.stdout,
        "rejected RpcError -32002: busy: too many connections (--max-connections 1)\n".repeat(2),
      );
    } finally {
      busy.close();
    }
  }),
);
