// The RPC socket where another user could swap it: the host refuses a
// directory other users may write to without the sticky bit (or that
// another user owns), warns in a sticky shared one, names the owner of a
// squatter's socket, and logs once when its socket is removed or replaced;
// the client talks only to a socket of its own user or root unless told
// otherwise. The second user is uid 65534, through setpriv.
import assert from "node:assert/strict";
import { RpcClient, UntrustedSocketError } from "../mod.ts";
import { fixture, ROOT, runHost, sleep, startHost } from "./helpers/host.ts";
import { denoAsNobody, NOBODY } from "./helpers/nobody.ts";

const RPC = fixture("rpc.ts");
const SQUATTER = new URL("./helpers/squatter.ts", import.meta.url).pathname;
const nobody = await denoAsNobody();
if (nobody.deno === null) {
  console.log(`socket trust: the tests as a second user are skipped: ${nobody.why}`);
}
const asRoot = Deno.uid() === 0; // chown and chmod of others' files
const decoder = new TextDecoder();

async function client(tool: "rpc" | "top", args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", tool, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A temporary directory that everyone may enter, removed by `using`'s end. */
async function tempDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-trust-" });
  await Deno.chmod(dir, 0o755);
  return dir;
}

async function waitForSocket(path: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await Deno.lstat(path)).isSocket) return;
    } catch {
      // not yet
    }
    await sleep(50);
  }
  throw new Error(`${path} never appeared`);
}

Deno.test("socket trust: a directory others may write to without the sticky bit is refused, exit 2, one line", async () => {
  const dir = await tempDir();
  try {
    await Deno.mkdir(`${dir}/open`);
    await Deno.chmod(`${dir}/open`, 0o777);
    const open = await runHost(["--socket", `${dir}/open/rpc.sock`, RPC]);
    assert.equal(open.code, 2);
    assert.deepEqual(open.stderr.trim().split("\n"), [
      `evrexec-deno: socket ${dir}/open/rpc.sock: every user can write to ${dir}/open, ` +
      "which has no sticky bit: another user could put a socket of their own in its place " +
      "and receive the calls; use a directory of this user or root that others cannot " +
      "write to (or that has the sticky bit, as /tmp)",
    ]);
    await Deno.mkdir(`${dir}/group`);
    await Deno.chmod(`${dir}/group`, 0o770);
    const group = await runHost(["--socket", `${dir}/group/rpc.sock`, RPC]);
    assert.equal(group.code, 2);
    assert.equal(group.stderr.trim().split("\n").length, 1);
    assert.match(group.stderr, /group \S+ \(gid \d+\) can write to .*\/group, which has no sticky/);
    // Above the socket too: the directory holding it can be renamed away and replaced.
    await Deno.mkdir(`${dir}/open/own`, { mode: 0o700 });
    const above = await runHost(["--socket", `${dir}/open/own/rpc.sock`, RPC]);
    assert.equal(above.code, 2);
    assert.match(above.stderr, /every user can write to .*\/open, which has no sticky bit/);
    // The datagram socket is held to the same rule.
    const dgram = await runHost([
      "--socket",
      `${dir}/rpc.sock`,
      "--rpc-dgram",
      `unix:${dir}/open/k.sock`,
      RPC,
    ]);
    assert.equal(dgram.code, 2);
    assert.match(dgram.stderr, /^evrexec-deno: socket .*\/open\/k\.sock: every user can write/);
    assert.equal(dgram.stderr.trim().split("\n").length, 1, dgram.stderr);
    if (asRoot) {
      await Deno.mkdir(`${dir}/theirs`);
      await Deno.chown(`${dir}/theirs`, NOBODY, NOBODY);
      const theirs = await runHost(["--socket", `${dir}/theirs/rpc.sock`, RPC]);
      assert.equal(theirs.code, 2);
      assert.match(theirs.stderr, /: .*\/theirs belongs to user nobody \(uid 65534\): another/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("socket trust: a sticky directory every user may write to (as /tmp) is served, with a warning", async () => {
  const dir = await tempDir();
  try {
    await Deno.mkdir(`${dir}/shared`);
    await Deno.chmod(`${dir}/shared`, 0o1777);
    const host = await startHost(RPC, { socket: `${dir}/shared/rpc.sock` });
    try {
      assert.match(
        host.log,
        /WRN\] evrexec\.rpc: the socket .*\/shared\/rpc\.sock is in a directory where every user may create files \(sticky bit\)/,
      );
      assert.equal(typeof await host.call("core.version"), "string");
      const rpc = await client("rpc", ["--socket", host.socket, "core.version"]);
      assert.equal(rpc.code, 0, rpc.stderr);
    } finally {
      await host.cleanup();
    }
    const own = await startHost(RPC);
    try {
      assert.doesNotMatch(own.log, /may create files/, "a directory of its own: no warning");
    } finally {
      await own.cleanup();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "socket trust: another user's squatting socket: the host names them, the client refuses it",
  ignore: nobody.deno === null,
  async fn() {
    const dir = await tempDir();
    try {
      await Deno.mkdir(`${dir}/shared`);
      await Deno.chmod(`${dir}/shared`, 0o1777);
      const path = `${dir}/shared/rpc.sock`;
      const squatter = await nobody.deno!.spawn(SQUATTER, [path, "30000"]);
      squatter.stdin.close();
      let stolen = "";
      const reading = squatter.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
        new WritableStream({ write: (chunk) => void (stolen += chunk) }),
      );
      try {
        await waitForSocket(path);
        assert.equal((await Deno.lstat(path)).uid, NOBODY);
        const host = await runHost(["--socket", path, RPC]);
        assert.equal(host.code, 2);
        assert.deepEqual(host.stderr.trim().split("\n"), [
          `evrexec-deno: socket ${path}: another host is already serving there ` +
          "(its socket belongs to user nobody (uid 65534), not to this host's user)",
        ]);
        const refused = await client("rpc", ["--socket", path, "evrexec.run", "echo", "secret"]);
        assert.equal(refused.code, 1);
        assert.deepEqual(refused.stderr.trim().split("\n"), [
          `evrexec-rpc: the socket ${path} belongs to user nobody (uid 65534), not to this ` +
          "user or root: it may not be the host you mean, and it would receive your call and " +
          "its data; not calling it (--socket-owner 65534 trusts that user)",
        ]);
        assert.doesNotMatch(stolen, /secret/, "the squatter got nothing");
        const top = await client("top", ["--once", "--socket", path]);
        assert.equal(top.code, 1);
        assert.match(top.stderr, /^evrexec-top: the socket .* belongs to user nobody/);
        await assert.rejects(RpcClient.connect(path), (error: unknown) => {
          assert.ok(error instanceof UntrustedSocketError);
          assert.equal(error.uid, NOBODY);
          return true;
        });
        for (const owner of ["nobody", "65534", "any"]) {
          const trusted = await client("rpc", [
            "--socket-owner",
            owner,
            "-s",
            path,
            "core.version",
          ]);
          assert.deepEqual([trusted.code, trusted.stdout], [0, "squatter\n"], trusted.stderr);
        }
        const library = await RpcClient.connect(path, { socketOwner: NOBODY });
        assert.equal(await library.call("core.version"), "squatter");
        await library.close();
        const calls = () => stolen.match(/"core\.version"/g)?.length ?? 0;
        for (let i = 0; i < 100 && calls() < 4; i++) await sleep(50);
        assert.equal(calls(), 4, stolen);
        assert.doesNotMatch(stolen, /secret|core\.psx/, "top and the refused call sent nothing");
        const unknown = await client("rpc", ["--socket-owner", "no-such-user-x", "core.version"]);
        assert.deepEqual([unknown.code, unknown.stderr], [
          2,
          'evrexec-rpc: --socket-owner must be a user name, a uid or "any", got ' +
          '"no-such-user-x" (no such user)\n',
        ]);
      } finally {
        squatter.kill();
        await squatter.status;
        await reading.catch(() => {});
        await squatter.stderr.cancel();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("socket trust: the client refuses a socket in a directory anyone may write to without the sticky bit", async () => {
  const dir = await tempDir();
  try {
    await Deno.mkdir(`${dir}/open`);
    await Deno.chmod(`${dir}/open`, 0o777);
    const path = `${dir}/open/rpc.sock`;
    const listener = Deno.listen({ transport: "unix", path });
    try {
      const refused = await client("rpc", ["--socket", path, "-t", "2000", "core.version"]);
      assert.equal(refused.code, 1);
      assert.deepEqual(refused.stderr.trim().split("\n"), [
        `evrexec-rpc: the socket ${path} may not be the host's: every user can write to ` +
        `${dir}/open, which has no sticky bit, so another user could have put theirs in its ` +
        "place; not calling it (--socket-owner any calls it anyway)",
      ]);
      const accepted = listener.accept();
      const anyway = client("rpc", ["--socket-owner", "any", "-s", path, "-t", "100", "x"]);
      (await accepted).close(); // connected: the check let it through
      assert.equal((await anyway).code, 1);
    } finally {
      listener.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "socket trust: the host logs once when its socket is removed or replaced",
  ignore: !asRoot,
  async fn() {
    const removed = await startHost(RPC);
    try {
      await Deno.remove(removed.socket);
      await removed.waitFor(
        /the socket .*rpc\.sock was removed: this host can no longer be reached/,
      );
      await sleep(4500); // two more looks: still one line
      assert.equal(removed.count(/can no longer be reached/), 1);
    } finally {
      await removed.cleanup();
    }
    const replaced = await startHost(RPC);
    try {
      // Another user's socket moved over the path in one step.
      const other = `${replaced.dir}/other.sock`;
      const listener = Deno.listen({ transport: "unix", path: other });
      await Deno.chown(other, NOBODY, NOBODY);
      await Deno.rename(other, replaced.socket);
      await replaced.waitFor(
        /the socket .*rpc\.sock was replaced by another socket of user nobody \(uid 65534\): this host can no longer be reached there/,
      );
      listener.close();
      const exit = await replaced.stop();
      assert.equal(exit.code, 0);
      assert.ok((await Deno.lstat(replaced.socket)).isSocket, "the other socket is left alone");
    } finally {
      await replaced.cleanup();
    }
  },
});
