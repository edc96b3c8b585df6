// Placing the socket never replaces what the start-up check did not see: a
// regular file or a second host's socket that appears at the path meanwhile.
import assert from "node:assert/strict";
import { fixture, startHost, type TestHost } from "./helpers/host.ts";

const SLOW_LOAD = fixture("slow_load.ts");

/** Waits until `host` is ready or has exited; true when ready. */
async function readyOrExited(host: TestHost): Promise<boolean> {
  return await Promise.race([
    host.waitFor(/host ready/, 30_000).then(() => true),
    host.exited.then(() => false),
  ]);
}

Deno.test("socket race: a regular file that appears at the path during start-up is kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-race-" });
  const socket = `${dir}/rpc.sock`;
  const host = await startHost(SLOW_LOAD, { socket, ready: false, env: { RACE_FILE: socket } });
  try {
    assert.equal(await readyOrExited(host), false, "the host must not serve over the file");
    const exit = await host.waitExit();
    assert.equal(exit.code, 2);
    assert.deepEqual(exit.stderr.trim().split("\n"), [
      `evrexec-deno: socket ${socket}: the path exists and is not a socket; not touching it`,
    ]);
    assert.equal(await Deno.readTextFile(socket), "precious\n", "the file is untouched");
  } finally {
    await host.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("socket race: of two hosts started at once on one path, one serves and one exits 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-race-" });
  const socket = `${dir}/rpc.sock`;
  const hosts = await Promise.all([0, 1].map(() => startHost(SLOW_LOAD, { socket, ready: false })));
  try {
    const ready = await Promise.all(hosts.map(readyOrExited));
    assert.equal(ready.filter((r) => r).length, 1, `exactly one serves (ready: ${ready})`);
    const winner = hosts[ready.indexOf(true)], loser = hosts[ready.indexOf(false)];
    const exit = await loser.waitExit();
    assert.equal(exit.code, 2);
    const lines = exit.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `one line: ${exit.stderr}`);
    assert.match(lines[0], /^evrexec-deno: socket .*: another host/);
    assert.equal(await winner.call("evrexec.run", ["echo", "still mine"]), "still mine");
  } finally {
    await Promise.all(hosts.map((host) => host.cleanup()));
    await Deno.remove(dir, { recursive: true });
  }
});
