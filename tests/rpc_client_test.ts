// The `deno task rpc` client: output, exit codes, EVREXEC_SOCKET.
import assert from "node:assert/strict";
import { fixture, ROOT, startHost, withHost } from "./helpers/host.ts";
import { decoded } from "./helpers/clean_env_run.ts";

const RPC = fixture("rpc.ts");

async function rpc(args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "rpc", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  return decoded(output);
}

Deno.test(
  "client: prints strings as they are and other results as indented JSON",
  withHost(RPC, {}, async (host) => {
    const text = await rpc(["--socket", host.socket, "evrexec.run", "kinds", "string"]);
    assert.deepEqual([text.code, text.stdout, text.stderr], [0, "text\n", ""]);
    const object = await rpc(["-s", host.socket, "evrexec.run", "echo", "-1"]);
    assert.equal(object.code, 0, object.stderr);
    assert.equal(
      object.stdout,
      JSON.stringify({ arg: "-1", evr: "-1", type: "string" }, null, 2) + "\n",
    );
    const json = await rpc(["--socket", host.socket, "--json", "core.version"]);
    const response = JSON.parse(json.stdout);
    assert.equal(response.jsonrpc, "2.0");
    assert.match(response.result, /^evrexec-deno /);
  }),
);

Deno.test(
  "client: an RPC error prints 'error CODE: MESSAGE' and exits 1",
  withHost(RPC, {}, async (host) => {
    const failed = await rpc(["--socket", host.socket, "evrexec.run", "fail", "q"]);
    assert.deepEqual([failed.code, failed.stdout, failed.stderr], [
      1,
      "",
      "error -32000: failed on q\n",
    ]);
    const unknown = await rpc(["--socket", host.socket, "no.such"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^error -32601: method not found: no\.such/);
  }),
);

Deno.test("client: no host at the socket is one line and exit 1; usage errors exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-client-" });
  try {
    const none = await rpc(["--socket", `${dir}/none.sock`, "core.version"]);
    assert.equal(none.code, 1);
    assert.equal(
      none.stderr,
      `evrexec-rpc: cannot reach a host at ${dir}/none.sock: no such socket\n`,
    );
    const missing = await rpc(["--socket", `${dir}/none.sock`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing METHOD/);
    const bogus = await rpc(["--bogus", "core.version"]);
    assert.equal(bogus.code, 2);
    assert.match(bogus.stderr, /unknown option --bogus/);
    const help = await rpc(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: deno task rpc/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("client: EVREXEC_SOCKET sets the socket for host and client", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-env-" });
  const socket = `${dir}/env.sock`;
  const host = await startHost(RPC, { env: { EVREXEC_SOCKET: socket } });
  try {
    assert.match(host.log, new RegExp(`RPC on ${socket}`));
    const answer = await rpc(["core.version"], { EVREXEC_SOCKET: socket });
    assert.equal(answer.code, 0, answer.stderr);
    assert.match(answer.stdout, /^evrexec-deno /);
  } finally {
    await host.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("client: with no socket given it finds the host under $XDG_RUNTIME_DIR", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-xdg-" });
  const host = await startHost(RPC, { socket: `${dir}/evrexec.sock` });
  try {
    const answer = await rpc(["core.version"], { XDG_RUNTIME_DIR: dir });
    assert.equal(answer.code, 0, answer.stderr);
    assert.match(answer.stdout, /^evrexec-deno /);
    const top = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "top", "--once"],
      cwd: ROOT,
      env: { NO_COLOR: "1", XDG_RUNTIME_DIR: dir },
      stdin: "null",
    }).output();
    const screen = new TextDecoder().decode(top.stdout);
    assert.equal(top.code, 0, new TextDecoder().decode(top.stderr));
    assert.ok(screen.includes(`${dir}/evrexec.sock`), screen);
  } finally {
    await host.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("client: an EVREXEC_SOCKET where no host is says so in one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-env-" });
  try {
    const none = await rpc(["core.version"], { EVREXEC_SOCKET: `${dir}/gone.sock` });
    assert.equal(none.code, 1);
    assert.equal(
      none.stderr,
      `evrexec-rpc: cannot reach a host: no socket at ${dir}/gone.sock; is a host running? ` +
        "Give its socket with --socket PATH or $EVREXEC_SOCKET\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "client: --timeout gives up on a slow answer with one line and exit 1",
  withHost(RPC, {}, async (host) => {
    const started = performance.now();
    const slow = await rpc([
      "--socket",
      host.socket,
      "--timeout",
      "300",
      "evrexec.run",
      "slow",
      "3000",
    ]);
    assert.equal(slow.code, 1);
    assert.equal(slow.stderr, `evrexec-rpc: no answer from ${host.socket} within 300 ms\n`);
    assert.ok(performance.now() - started < 2500, "it did not wait for the answer");
    const bad = await rpc(["--socket", host.socket, "--timeout", "soon", "core.version"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--timeout must be an integer/);
  }),
);
