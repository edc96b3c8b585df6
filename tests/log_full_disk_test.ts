// A full disk under --log-file (third round): a write the disk cut short leaves half a record in
// the file; it is marked as cut, and the next record written once there is room again starts on a
// line of its own instead of running on from that half. Needs root to mount a 64 KiB tmpfs (skipped otherwise).
import assert from "node:assert/strict";
import { fixture, startHost } from "./helpers/host.ts";
import { waitForFile } from "./helpers/file_wait.ts";

const SCRIPT = fixture("operate.ts");
const RECORD_HEAD = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d\d \[[A-Z]{3}\] evrexec[.:]/;

async function sh(command: string, ...args: string[]): Promise<boolean> {
  const out = await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output()
    .catch(() => null);
  return out?.success ?? false;
}

Deno.test("log full disk: a record cut by a full disk never runs into the next one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-logfull-" });
  if (Deno.uid() !== 0 || !await sh("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir)) {
    console.log("skipped: mounting a tmpfs needs root");
    await Deno.remove(dir);
    return;
  }
  const path = `${dir}/evrexec.log`;
  const host = await startHost(SCRIPT, {
    args: ["--log-file", path, "--log-max-size", "0"],
    ready: false,
  });
  try {
    await waitForFile(path, /host ready/);
    // Fill the disk but for 10,000 bytes (not a multiple of a record's 200), then log past it.
    const free = 64 * 1024 - (await Deno.stat(path)).size - 4096;
    await Deno.writeFile(`${dir}/filler`, new Uint8Array(Math.max(0, free - 10_000)));
    assert.equal(await host.call("evrexec.run", ["chatty", "300"]), 300);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await Deno.remove(`${dir}/filler`);
    assert.equal(await host.call("evrexec.run", ["chatty", "5"]), 5);
    await waitForFile(path, /log records were dropped/);
    const text = await waitForFile(path, /chatty record 4 /);
    const lines = text.split("\n").slice(0, -1);
    const heads = /\d\d:\d\d:\d\d\.\d{3} [+-]\d\d \[/g;
    const cut = lines.filter((line) => line.endsWith(" [cut short by a failed write]"));
    assert.equal(cut.length, 1, "the record the disk cut is marked");
    const strays = lines.filter((line) =>
      !cut.includes(line) && (!RECORD_HEAD.test(line) || line.match(heads)!.length > 1)
    );
    assert.deepEqual(strays, [], "records ran together");
    assert.ok(!cut[0].replace(/^.{0,40}/, "").match(heads), "a cut record holds no second head");
    assert.equal((await host.stop()).code, 0);
  } finally {
    await host.cleanup();
    await sh("umount", dir);
    await Deno.remove(dir, { recursive: true });
  }
});
