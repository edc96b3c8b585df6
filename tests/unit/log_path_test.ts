// The log file's path opened without following a symbolic link, and the check a
// rotation makes before it renames the path.
import assert from "node:assert/strict";
import { openLogPath, pathIsFile, SymlinkError } from "../../src/base/log_path.ts";

async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-unit-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("log path: a missing file is created, an existing one appended to", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/a.log`;
    const first = await openLogPath(path);
    await first.write(new TextEncoder().encode("one\n"));
    first.close();
    const second = await openLogPath(path);
    await second.write(new TextEncoder().encode("two\n"));
    assert.ok(await pathIsFile(path, second));
    second.close();
    assert.equal(await Deno.readTextFile(path), "one\ntwo\n");
  }));

Deno.test("log path: a symlink, dangling or not, is refused and nothing is made through it", () =>
  inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/victim`, "v");
    await Deno.symlink(`${dir}/victim`, `${dir}/link.log`);
    await Deno.symlink(`${dir}/nowhere`, `${dir}/dangling.log`);
    await Deno.symlink("x".repeat(300), `${dir}/long.log`);
    await assert.rejects(openLogPath(`${dir}/link.log`), (error: Error) => {
      assert.ok(error instanceof SymlinkError);
      assert.match(error.message, new RegExp(`^it is a symbolic link \\(to ${dir}/victim\\);`));
      return true;
    });
    await assert.rejects(openLogPath(`${dir}/dangling.log`), SymlinkError);
    await assert.rejects(Deno.lstat(`${dir}/nowhere`), Deno.errors.NotFound);
    await assert.rejects(openLogPath(`${dir}/long.log`), (error: Error) => {
      assert.match(error.message, /\(to x{200}…\)/, "the target is cut to a bound");
      return true;
    });
    assert.equal(await Deno.readTextFile(`${dir}/victim`), "v");
  }));

Deno.test("log path: the path no longer names the open file once moved or replaced", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/a.log`;
    const file = await openLogPath(path);
    await Deno.rename(path, `${path}.1`);
    assert.equal(await pathIsFile(path, file), false, "moved away");
    await Deno.symlink(`${path}.1`, path);
    assert.equal(await pathIsFile(path, file), false, "a symlink to the very file");
    await Deno.remove(path);
    await Deno.writeTextFile(path, "");
    assert.equal(await pathIsFile(path, file), false, "another file");
    file.close();
  }));
