// Log file modes (issue 29 item 5): a new --log-file is created 0600 whatever the umask, and a
// file that replaces another (size rotation, SIGUSR2 or evrexec.reopen_log after a move) keeps
// the mode and owner of the one it replaces, so an operator's chmod or chown survives rotation.
import assert from "node:assert/strict";
import { fixture, startHost, type TestHost } from "./helpers/host.ts";
import { waitForFile } from "./helpers/file_wait.ts";

const SCRIPT = fixture("operate.ts");
const IS_ROOT = Deno.uid() === 0;

function modeOf(info: Deno.FileInfo): string {
  return ((info.mode ?? 0) & 0o7777).toString(8).padStart(4, "0");
}

/** Runs `body` with a host logging to a file in a fresh directory, under umask 022. */
async function withLogHost(
  args: string[],
  body: (host: TestHost, path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-logmode-" });
  const path = `${dir}/evrexec.log`;
  const umask = Deno.umask(0o022); // the host inherits it
  let host: TestHost | null = null;
  try {
    host = await startHost(SCRIPT, { args: ["--log-file", path, ...args], ready: false });
    Deno.umask(umask);
    await waitForFile(path, /host ready/);
    await body(host, path);
  } finally {
    Deno.umask(umask);
    await host?.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("log modes: a new log file is 0600 under umask 022, and so is the next after a rotation", async () => {
  await withLogHost(["--log-max-size", "4K", "--log-keep", "1"], async (host, path) => {
    assert.equal(modeOf(await Deno.stat(path)), "0600");
    assert.equal(await host.call("evrexec.run", ["chatty", "100"]), 100);
    await waitForFile(path, /chatty record 99 /);
    assert.equal(modeOf(await Deno.stat(`${path}.1`)), "0600");
    assert.equal(modeOf(await Deno.stat(path)), "0600");
  });
});

Deno.test("log modes: an operator's chmod 0640 (and chown) survives size rotation and reopen", async () => {
  await withLogHost(["--log-max-size", "4K", "--log-keep", "1"], async (host, path) => {
    await Deno.chmod(path, 0o640);
    if (IS_ROOT) await Deno.chown(path, 65534, 65534);
    const before = await Deno.stat(path);
    assert.equal(await host.call("evrexec.run", ["chatty", "100"]), 100);
    await waitForFile(path, /chatty record 99 /);
    const rotated = await Deno.stat(path);
    assert.notEqual(rotated.ino, before.ino, "a rotation happened");
    assert.equal(modeOf(rotated), "0640", "the rotated-in file keeps the mode");
    if (IS_ROOT) assert.deepEqual([rotated.uid, rotated.gid], [65534, 65534], "and the owner");

    await Deno.chmod(path, 0o660);
    await Deno.rename(path, `${path}.moved`); // logrotate without `create`
    assert.deepEqual(await host.call("evrexec.reopen_log"), { log_file: path });
    const reopened = await Deno.stat(path);
    assert.equal(modeOf(reopened), "0660", "a reopen that creates the file keeps the mode");
    if (IS_ROOT) assert.deepEqual([reopened.uid, reopened.gid], [65534, 65534]);

    await Deno.rename(path, `${path}.again`);
    await Deno.writeTextFile(path, "", { mode: 0o644 }); // logrotate's `create 0644`: its choice
    await Deno.chmod(path, 0o644);
    host.process.kill("SIGUSR2");
    await waitForFile(path, /SIGUSR2 received; reopened the log file/);
    assert.equal(modeOf(await Deno.stat(path)), "0644", "a file that is there is left as it is");
  });
});
