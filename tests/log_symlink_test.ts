// --log-file and symbolic links (issue 21, item 3): a log path that is a symlink is
// refused at start-up (exit 2, one line), at a reopen (SIGUSR2, evrexec.reopen_log:
// the old file stays in use) and at a rotation (the link is not renamed); the file a
// link points to never gets a byte.
import assert from "node:assert/strict";
import { fixture, runHost, startHost } from "./helpers/host.ts";
import { waitForFile } from "./helpers/file_wait.ts";

const SCRIPT = fixture("operate.ts");
const VICTIM_TEXT = "the victim's own content\n";

/** A temporary directory with a victim file; removed by the returned function. */
async function scene() {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-link-" });
  const victim = `${dir}/victim`;
  await Deno.writeTextFile(victim, VICTIM_TEXT);
  return {
    dir,
    victim,
    path: `${dir}/evrexec.log`,
    done: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("log symlink: a --log-file that is a symlink stops start-up, and nothing is written through it", async () => {
  const { dir, victim, path, done } = await scene();
  try {
    await Deno.symlink(victim, path);
    const dangling = `${dir}/dangling.log`;
    await Deno.symlink(`${dir}/made-through-link`, dangling);
    for (const [link, target] of [[path, victim], [dangling, `${dir}/made-through-link`]]) {
      const exit = await runHost(["--log-file", link, SCRIPT]);
      assert.equal(exit.code, 2, exit.stderr);
      assert.equal(exit.stderr.trim().split("\n").length, 1, exit.stderr);
      assert.equal(
        exit.stderr.trim(),
        `evrexec-deno: cannot open --log-file ${link}: it is a symbolic link (to ${target}); ` +
          "the host never writes through one, give the file's own path",
      );
    }
    assert.equal(await Deno.readTextFile(victim), VICTIM_TEXT, "the victim is untouched");
    await assert.rejects(Deno.lstat(`${dir}/made-through-link`), Deno.errors.NotFound);
  } finally {
    await done();
  }
});

Deno.test("log symlink: a reopen onto a symlink is refused and the old file stays in use", async () => {
  const { victim, path, done } = await scene();
  const host = await startHost(SCRIPT, { args: ["--log-file", path], ready: false });
  try {
    await waitForFile(path, /host ready/);
    await Deno.rename(path, `${path}.1`); // as logrotate does; then an attacker's link
    await Deno.symlink(victim, path);
    host.process.kill("SIGUSR2");
    const problem = new RegExp(
      `cannot reopen the log file ${path} \\(it is a symbolic link \\(to ${victim}\\); the host ` +
        "never writes through one, give the file's own path\\); writing on to the file open before",
    );
    await host.waitFor(problem); // on stderr
    await waitForFile(`${path}.1`, problem); // and in the log
    const answer = host.call("evrexec.reopen_log");
    await assert.rejects(answer, (error: Error & { code?: number }) => {
      assert.equal(error.code, -32603);
      assert.match(error.message, problem);
      return true;
    });
    assert.equal(await host.call("evrexec.run", ["chatty", "3"]), 3);
    await waitForFile(`${path}.1`, /chatty record 2 /);
    assert.equal(await Deno.readTextFile(victim), VICTIM_TEXT, "the victim is untouched");
    assert.equal((await host.stop()).code, 0);
    assert.equal(await Deno.readTextFile(victim), VICTIM_TEXT, "untouched at the end too");
  } finally {
    await host.cleanup();
    await done();
  }
});

Deno.test("log symlink: a rotation does not rename a symlink put in the file's place", async () => {
  const { victim, path, done } = await scene();
  const host = await startHost(SCRIPT, {
    args: ["--log-file", path, "--log-max-size", "4K", "--log-keep", "2"],
    ready: false,
  });
  try {
    await waitForFile(path, /host ready/);
    await Deno.rename(path, `${path}.moved`);
    await Deno.symlink(victim, path);
    assert.equal(await host.call("evrexec.run", ["chatty", "100"]), 100);
    const problem = new RegExp(
      `the log file ${path} is no longer the file the host writes \\(a symbolic link or another ` +
        "file is there now\\); not rotated, writing on to the file open before",
    );
    await host.waitFor(problem);
    await waitForFile(`${path}.moved`, /chatty record 99 /);
    assert.ok((await Deno.lstat(path)).isSymlink, "the link was not renamed");
    await assert.rejects(Deno.lstat(`${path}.1`), Deno.errors.NotFound);
    assert.equal(await Deno.readTextFile(victim), VICTIM_TEXT, "the victim is untouched");
    assert.equal(host.count(problem), 1, "told once");
  } finally {
    await host.cleanup();
    await done();
  }
});
