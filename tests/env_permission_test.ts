// A documented environment variable that Deno may not read (no --allow-env for it) is one clear
// line and exit 2, for the host and for the clients; never a silent fall-back to the shared
// /tmp/evrexec.sock (issue 29, item 8).
import assert from "node:assert/strict";
import { fixture, PARK_FLAGS, ROOT } from "./helpers/host.ts";
import { decoded } from "./helpers/clean_env_run.ts";

const RPC = fixture("rpc.ts");
const MOD = `${ROOT}mod.ts`;
const NO_ENV = ["--allow-read", "--allow-write", "--allow-net"];

/** Runs `deno run` with `args` to its exit (killed after 15 s); code and output. */
async function deno(args: readonly string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const output = await child.output();
  clearTimeout(timer);
  return decoded(output);
}

const SOCKET_LINE = "cannot read the environment variable EVREXEC_SOCKET: Deno was not given " +
  "--allow-env for it (run with --allow-env or --allow-env=EVREXEC_SOCKET, or give --socket PATH)";

Deno.test("env: the host without --allow-env and without --socket exits 2; --allow-env=EVREXEC_SOCKET serves there", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-test-" });
  try {
    const run = await deno([...PARK_FLAGS, ...NO_ENV, MOD, RPC], {
      EVREXEC_SOCKET: `${dir}/rpc.sock`,
    });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr, `evrexec-deno: ${SOCKET_LINE}\n`);
    const socket = `${dir}/rpc.sock`;
    // XDG_RUNTIME_DIR is not read when EVREXEC_SOCKET names the socket.
    const narrow = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...PARK_FLAGS, ...NO_ENV, "--allow-env=EVREXEC_SOCKET", MOD, RPC],
      env: { NO_COLOR: "1", EVREXEC_SOCKET: socket, XDG_RUNTIME_DIR: dir },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    try {
      const reader = narrow.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let log = "";
      const deadline = Date.now() + 15_000;
      while (!/host ready/.test(log) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        log += value;
      }
      assert.match(log, new RegExp(`host ready: .*RPC on ${socket}`), log);
      // EVREXEC_CLUSTER unread is no error (the host runs alone) but it is said.
      assert.match(
        log,
        /EVREXEC_CLUSTER is not read \(no --allow-env for it\): this host is in no fleet/,
      );
      reader.releaseLock();
    } finally {
      narrow.kill("SIGKILL");
      await narrow.status;
      await narrow.stderr.cancel().catch(() => {});
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("env: the rpc client and top without --allow-env exit 2 with one line", async () => {
  const rpc = await deno([...NO_ENV, "src/client/main.ts", "core.version"]);
  assert.equal(rpc.code, 2, rpc.stderr);
  assert.equal(rpc.stderr, `evrexec-rpc: ${SOCKET_LINE}\n`);
  const top = await deno([...NO_ENV, "src/client/top.ts", "--once"]);
  assert.equal(top.code, 2, top.stderr);
  assert.equal(top.stderr, `evrexec-top: ${SOCKET_LINE}\n`);
  // With --socket, a table still wants COLUMNS: said so before anything is called.
  const table = await deno([
    ...NO_ENV,
    "src/client/main.ts",
    "-s",
    "/nonexistent.sock",
    "core.psx",
  ]);
  assert.equal(table.code, 2, table.stderr);
  assert.equal(
    table.stderr,
    "evrexec-rpc: cannot read the environment variable COLUMNS: Deno was not given --allow-env " +
      "for it (run with --allow-env or --allow-env=COLUMNS, or --json)\n",
  );
  // --socket and --json need no environment at all: the call is tried.
  const json = await deno([
    ...NO_ENV,
    "src/client/main.ts",
    "--json",
    "-s",
    "/nonexistent.sock",
    "x",
  ]);
  assert.equal(json.code, 1, json.stderr);
  assert.match(json.stderr, /cannot reach a host at \/nonexistent\.sock: no such socket/);
});
