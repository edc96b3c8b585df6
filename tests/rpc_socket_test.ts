// The socket file: its mode, a stale or live socket at start, a path that
// is not a socket, EVREXEC_SOCKET, and removal at shutdown.
import assert from "node:assert/strict";
import { fixture, runHost, startHost } from "./helpers/host.ts";

const RPC = fixture("rpc.ts");

Deno.test("socket: mode 0600 by default, --socket-mode otherwise; removed at shutdown", async () => {
  for (const [args, mode] of [[[], 0o600], [["--socket-mode", "0660"], 0o660]] as const) {
    const host = await startHost(RPC, { args: [...args] });
    try {
      const info = await Deno.lstat(host.socket);
      assert.ok(info.isSocket);
      assert.equal(info.mode! & 0o777, mode);
      const leftovers = [...Deno.readDirSync(host.dir)].map((e) => e.name);
      assert.deepEqual(leftovers, ["rpc.sock"], "no staging directory left behind");
      const exit = await host.stop();
      assert.equal(exit.code, 0);
      await assert.rejects(Deno.lstat(host.socket));
    } finally {
      await host.cleanup();
    }
  }
});

Deno.test("socket: a stale socket is replaced; a live one stops start-up with exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-sock-" });
  const path = `${dir}/rpc.sock`;
  try {
    const killed = await startHost(RPC, { socket: path });
    await killed.stop("SIGKILL"); // leaves the file behind, with nobody listening
    assert.ok((await Deno.lstat(path)).isSocket);
    const first = await startHost(RPC, { socket: path });
    try {
      assert.match(first.log, /removed a stale socket/);
      assert.equal(typeof await first.call("core.version"), "string");
      const second = await runHost(["--socket", path, RPC]);
      assert.equal(second.code, 2);
      assert.equal(
        second.stderr.trim(),
        `evrexec-deno: socket ${path}: another host is already serving there`,
      );
      assert.equal(
        typeof await first.call("core.version"),
        "string",
        "the first host is untouched",
      );
    } finally {
      await first.cleanup();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("socket: a path that is not a socket is never removed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-sock-" });
  try {
    const path = `${dir}/important.txt`;
    await Deno.writeTextFile(path, "keep me");
    const exit = await runHost(["--socket", path, RPC]);
    assert.equal(exit.code, 2);
    assert.match(exit.stderr, /exists and is not a socket; not touching it/);
    assert.equal(await Deno.readTextFile(path), "keep me");
    const missingDir = await runHost(["--socket", `${dir}/no/such/dir.sock`, RPC]);
    assert.equal(missingDir.code, 2);
    assert.equal(
      missingDir.stderr.trim().split("\n").at(-1),
      `evrexec-deno: socket ${dir}/no/such/dir.sock: cannot create it there: ` +
        `the directory ${dir}/no/such does not exist`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
