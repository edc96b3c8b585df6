// Datagram answers go only where their sender cannot bounce them: with a
// --socket-mode that lets other users send, a reply address that is not a
// socket (a symbolic link swapped in after the request) or that another
// user could point elsewhere gets no answer, and the host says so once per
// 10 s. The sender is a real second user (uid 65534, through setpriv).
import assert from "node:assert/strict";
import { fixture, sleep, startHost, type TestHost } from "./helpers/host.ts";
import { denoAsNobody, NOBODY } from "./helpers/nobody.ts";
import { kernelLinkGuards } from "../src/rpc/reply_address.ts";

const RPC = fixture("rpc.ts");
const PEER = new URL("./helpers/dgram_peer.ts", import.meta.url).pathname;
const nobody = await denoAsNobody();
if (nobody.deno === null) {
  console.log(`dgram reply trust: the tests as a second user are skipped: ${nobody.why}`);
}
const decoder = new TextDecoder();

function request(method: string, params: unknown[]): string {
  return JSON.stringify({ jsonrpc: "2.0", method, params, id: 1 });
}

/** Runs a started peer to its end with `input` on stdin; its stdout's last line. */
async function finish(child: Deno.ChildProcess, input = ""): Promise<string> {
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  assert.equal(code, 0, decoder.decode(stderr));
  return decoder.decode(stdout).trim().split("\n").at(-1) ?? "";
}

/** The peer, run as this test's user (root). */
function rootPeer(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--unstable-net", "--allow-all", PEER, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function waitForFile(path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await Deno.lstat(path);
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`${path} never appeared`);
}

/**
 * A host whose datagram socket every user may send to (--socket-mode 0666),
 * in a directory of root that everyone may enter, with a directory of
 * nobody's own beside it.
 */
async function openHost(): Promise<{ host: TestHost; dir: string; server: string }> {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-reply-" });
  await Deno.chmod(dir, 0o755);
  await Deno.mkdir(`${dir}/nobody`);
  await Deno.chown(`${dir}/nobody`, NOBODY, NOBODY);
  const server = `${dir}/kamailio_rpc.sock`;
  const host = await startHost(RPC, {
    socket: `${dir}/rpc.sock`,
    args: ["--socket-mode", "0666", "--rpc-dgram", `unix:${server}`],
  });
  const cleanup = host.cleanup.bind(host);
  host.cleanup = async () => {
    await cleanup();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return { host, dir, server };
}

Deno.test({
  name: "dgram reply: a reply path swapped for a link to a root-only socket gets nothing there",
  ignore: nobody.deno === null,
  async fn() {
    const { host, dir, server } = await openHost();
    try {
      const victimPath = `${dir}/root-only.sock`;
      const victim = rootPeer(["listen", victimPath, "6000"]);
      await waitForFile(victimPath);
      assert.equal((await Deno.lstat(victimPath)).mode! & 0o777, 0o600);
      const attacker = await nobody.deno!.spawn(PEER, [
        "bounce",
        server,
        `${dir}/nobody/reply.sock`,
        victimPath,
        "300",
      ]);
      // The answer comes 1.5 s after the request; the swap is done 0.3 s after it.
      assert.equal(await finish(attacker, request("evrexec.run", ["slow", "1500"])), "swapped");
      assert.ok((await Deno.lstat(`${dir}/nobody/reply.sock`)).isSymlink);
      assert.deepEqual(JSON.parse(await finish(victim)), [], "the root-only socket got nothing");
      await host.waitFor(/did not answer 1 datagrams whose reply address/, 10_000);
      assert.match(host.log, /reply\.sock\\?": a symbolic link, not a socket/);
    } finally {
      await host.cleanup();
    }
  },
});

Deno.test({
  name: "dgram reply: another user's reply socket is answered only where it cannot be swapped",
  ignore: nobody.deno === null,
  async fn() {
    const { host, dir, server } = await openHost();
    try {
      const echo = request("evrexec.run", ["echo", "hi"]);
      // A socket of nobody's own, in nobody's own directory: nobody may swap it at will.
      const own = await nobody.deno!.spawn(PEER, ["ask", server, `${dir}/nobody/r1.sock`, "3000"]);
      assert.equal(await finish(own, echo), "null", "no answer");
      await host.waitFor(/did not answer 1 datagrams/, 10_000);
      assert.match(
        host.log,
        /r1\.sock\\?": it belongs to user nobody \(uid 65534\), outside a sticky/,
      );
      // A second refusal within 10 s is counted, not logged again.
      const again = await nobody.deno!.spawn(PEER, [
        "ask",
        server,
        `${dir}/nobody/r2.sock`,
        "2000",
      ]);
      assert.equal(await finish(again, echo), "null");
      // In a sticky directory every user can write to (as /tmp), the kernel's link guards decide.
      await Deno.mkdir(`${dir}/shared`);
      await Deno.chmod(`${dir}/shared`, 0o1777);
      const shared = await nobody.deno!.spawn(PEER, [
        "ask",
        server,
        `${dir}/shared/r3.sock`,
        "3000",
      ]);
      const sharedAnswer = JSON.parse(await finish(shared, echo));
      const guarded = kernelLinkGuards();
      console.log(`fs.protected_symlinks and fs.protected_hardlinks on: ${guarded}`);
      if (guarded) assert.equal(JSON.parse(sharedAnswer).result.arg, "hi");
      else assert.equal(sharedAnswer, null);
      // The host's own user (root) is answered, wherever root alone can change the path.
      const root = rootPeer(["ask", server, `${dir}/shared/root.sock`, "3000"]);
      assert.equal(JSON.parse(JSON.parse(await finish(root, echo))).result.arg, "hi");
      const refused = guarded ? 2 : 3;
      const stats = await host.call("stats.get_statistics", ["rpc:unix_dgram-unanswered"]);
      assert.deepEqual(stats, [`rpc:unix_dgram-unanswered = ${refused}`]);
      assert.equal(host.count(/did not answer \d+ datagrams/), 1, "one warning per 10 s");
    } finally {
      await host.cleanup();
    }
  },
});

Deno.test({
  name: "dgram reply: at the default mode 0600 every sender is the host's user or root: answered",
  ignore: Deno.uid() !== 0, // chown needs root
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-reply-" });
  const server = `${dir}/kamailio_rpc.sock`;
  const host = await startHost(RPC, {
    socket: `${dir}/rpc.sock`,
    args: ["--rpc-dgram", `unix:${server}`],
  });
  try {
    // A reply socket owned by another user, in a directory not sticky: not checked at 0600.
    const reply = `${dir}/r.sock`;
    const child = rootPeer(["ask", server, reply, "3000"]);
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(request("evrexec.run", ["slow", "800"])));
    await writer.close();
    await waitForFile(reply);
    await Deno.chown(reply, NOBODY, NOBODY);
    const { stdout } = await child.output();
    const answer = decoder.decode(stdout).trim();
    assert.equal(JSON.parse(JSON.parse(answer)).result, 800);
    assert.doesNotMatch(host.log, /did not answer/);
  } finally {
    await host.cleanup();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

function installed(tool: string): boolean {
  try {
    new Deno.Command(tool, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "dgram reply: kamcli run by the host's user is answered at --socket-mode 0666 (checked)",
  ignore: !installed("kamcli"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "evrexec-reply-kamcli-" });
    const server = `${dir}/kamailio_rpc.sock`;
    const host = await startHost(RPC, {
      socket: `${dir}/rpc.sock`,
      args: ["--socket-mode", "0666", "--rpc-dgram", `unix:${server}`],
    });
    try {
      const ini = [
        "[jsonrpc]",
        "transport=socket",
        `srvaddr=${server}`,
        `rcvaddr=${dir}/kamcli_reply.sock`,
        "outformat=json",
      ].join("\n") + "\n";
      await Deno.writeTextFile(`${dir}/kamcli.ini`, ini);
      const { code, stdout, stderr } = await new Deno.Command("kamcli", {
        args: [
          "--no-default-configs",
          "--config",
          `${dir}/kamcli.ini`,
          "rpc",
          "evrexec.run",
          "echo",
          "s:hi",
        ],
      }).output();
      assert.equal(code, 0, decoder.decode(stderr));
      const text = decoder.decode(stdout);
      assert.equal(JSON.parse(text.slice(text.indexOf("{"))).result.arg, "hi");
      assert.doesNotMatch(host.log, /did not answer/);
    } finally {
      await host.cleanup();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
