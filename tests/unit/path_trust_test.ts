// Who can change what a socket path names, and which datagram reply paths
// are answered: the rules on real directories and sockets (chown needs root;
// those cases are skipped otherwise).
import assert from "node:assert/strict";
import { ownAndRoot, replaceableBy, sharedWith } from "../../src/rpc/path_trust.ts";
import { ReplyAddressCheck } from "../../src/rpc/reply_address.ts";

const NOBODY = 65534;
const asRoot = Deno.uid() === 0;
const me = ownAndRoot(Deno.uid());

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-trust-unit-" });
  await Deno.chmod(dir, 0o755);
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function mkdir(path: string, mode: number): Promise<string> {
  await Deno.mkdir(path);
  await Deno.chmod(path, mode);
  return path;
}

Deno.test("path trust: directories by mode, owner and the sticky bit", () =>
  withDir(async (dir) => {
    assert.equal(replaceableBy(`${await mkdir(`${dir}/own`, 0o700)}/s`, me), null);
    assert.equal(replaceableBy(`${await mkdir(`${dir}/sticky`, 0o1777)}/s`, me), null);
    assert.equal(
      replaceableBy(`${await mkdir(`${dir}/open`, 0o777)}/s`, me),
      `every user can write to ${dir}/open, which has no sticky bit`,
    );
    assert.match(
      replaceableBy(`${await mkdir(`${dir}/group`, 0o775)}/s`, me)!,
      /^(group \S+ \(gid \d+\)|gid \d+) can write to .*\/group, which has no sticky bit$/,
    );
    // Every directory above counts, as written and as resolved.
    const inner = await mkdir(`${dir}/open/inner`, 0o700);
    assert.match(replaceableBy(`${inner}/s`, me)!, /every user can write to .*\/open,/);
    await Deno.symlink(inner, `${dir}/own/link`);
    assert.match(replaceableBy(`${dir}/own/link/s`, me)!, /every user can write to .*\/open,/);
    assert.equal(replaceableBy(`${dir}/no/such/dir/s`, me), null, "nothing to replace");
    assert.equal(sharedWith(`${dir}/sticky/s`), "every user");
    assert.equal(sharedWith(`${dir}/own/s`), null);
    if (asRoot) {
      const theirs = await mkdir(`${dir}/theirs`, 0o755);
      await Deno.chown(theirs, NOBODY, NOBODY);
      assert.equal(
        replaceableBy(`${theirs}/s`, me),
        `${theirs} belongs to user nobody (uid 65534)`,
      );
      assert.equal(replaceableBy(`${theirs}/s`, new Set([...me, NOBODY])), null, "trusted owner");
    }
  }));

Deno.test("reply address: at mode 0600 every path is answered; wider, only paths nobody else can swap", () =>
  withDir(async (dir) => {
    const own = await mkdir(`${dir}/own`, 0o700);
    const listeners: Deno.Listener[] = [];
    const socket = (path: string) => {
      listeners.push(Deno.listen({ transport: "unix", path }));
      return path;
    };
    try {
      const closed = new ReplyAddressCheck(0o600, Deno.uid(), false);
      assert.equal(closed.checking, false);
      assert.equal(closed.refusal("\0abstract"), null);
      assert.equal(closed.refusal(`${dir}/nothing`), null);

      const open = new ReplyAddressCheck(0o666, Deno.uid(), false);
      const mine = socket(`${own}/mine.sock`);
      assert.equal(open.refusal(mine), null);
      assert.equal(open.refusal("\0abstract"), "an abstract address has no owner to check");
      assert.equal(open.refusal(`${own}/nothing`), "nothing is there any more");
      await Deno.symlink(mine, `${own}/link.sock`);
      assert.equal(open.refusal(`${own}/link.sock`), "a symbolic link, not a socket");
      await Deno.writeTextFile(`${own}/file`, "");
      assert.equal(open.refusal(`${own}/file`), "not a socket");
      const openDir = await mkdir(`${dir}/open`, 0o777);
      assert.match(open.refusal(socket(`${openDir}/mine.sock`))!, /every user can write/);
      assert.equal(new ReplyAddressCheck(0o660, Deno.uid(), false).checking, true);
      if (!asRoot) return;

      const shared = await mkdir(`${dir}/shared`, 0o1777);
      const theirs = socket(`${shared}/theirs.sock`);
      await Deno.chown(theirs, NOBODY, NOBODY);
      const guarded = new ReplyAddressCheck(0o666, Deno.uid(), true);
      assert.equal(guarded.refusal(theirs), null, "sticky, world-writable, kernel guards on");
      assert.equal(
        open.refusal(theirs),
        "it belongs to user nobody (uid 65534) and the kernel's fs.protected_symlinks or " +
          "fs.protected_hardlinks is off",
      );
      await Deno.link(theirs, `${shared}/second-link.sock`);
      assert.equal(guarded.refusal(theirs), "a socket with 2 links");
      await Deno.link(mine, `${own}/mine-again.sock`);
      assert.equal(open.refusal(mine), "a socket with 2 links", "the host's own user's too");
      const inOwnDir = socket(`${own}/theirs.sock`);
      await Deno.chown(inOwnDir, NOBODY, NOBODY);
      assert.equal(
        guarded.refusal(inOwnDir),
        "it belongs to user nobody (uid 65534), outside a sticky directory every user can " +
          "write to (such as /tmp)",
      );
    } finally {
      for (const listener of listeners) listener.close();
    }
  }));
