// --log-file: rotation by size (PATH.1 … PATH.N, none over the size), SIGUSR2 and
// evrexec.reopen_log reopen the file after a move (SIGUSR1 no longer does), and a disk that takes no writes never blocks the host: records are
// dropped and counted, and the count is logged once writes succeed again.
import assert from "node:assert/strict";
import { withTimeout } from "../src/base/deadline.ts";
import { fixture, runHost, sleep, startHost, type TestHost } from "./helpers/host.ts";
import { waitForFile } from "./helpers/file_wait.ts";

const SCRIPT = fixture("operate.ts");

async function sizeOf(path: string): Promise<number | null> {
  return await Deno.stat(path).then((info) => info.size, () => null);
}

Deno.test("log file: rotation by size keeps PATH.1 … PATH.N, none over the size", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-log-" });
  const path = `${dir}/evrexec.log`;
  const host = await startHost(SCRIPT, {
    args: ["--log-file", path, "--log-max-size", "4K", "--log-keep", "2"],
    ready: false,
  });
  try {
    await waitForFile(path, /host ready/);
    assert.equal(await host.call("evrexec.run", ["chatty", "300"]), 300);
    await waitForFile(path, /chatty record 299 /);
    const exit = await host.stop();
    assert.equal(exit.code, 0);
    assert.doesNotMatch(exit.stderr, /chatty record/, "records go to the file, not stderr");
    const sizes = await Promise.all(
      [path, `${path}.1`, `${path}.2`, `${path}.3`].map(sizeOf),
    );
    assert.ok(sizes.slice(0, 3).every((size) => size !== null), `sizes ${sizes}`);
    assert.equal(sizes[3], null, "at most --log-keep rotated files");
    for (const [i, size] of sizes.slice(0, 3).entries()) {
      assert.ok(size! <= 4096, `file ${i} is ${size} bytes, over 4K`);
    }
    const rotated = await Deno.readTextFile(`${path}.1`);
    assert.ok(rotated.endsWith("\n") && rotated.includes("chatty record"), "whole records");
    assert.ok(sizes[1]! > 4096 - 300, "a rotated file is filled up to about one record short");
  } finally {
    await host.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("log file: SIGUSR2 or evrexec.reopen_log after a move starts a new file; SIGUSR1 does not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-log-" });
  const path = `${dir}/evrexec.log`;
  const host = await startHost(SCRIPT, {
    args: ["--log-file", path, "--log-max-size", "0"],
    ready: false,
  });
  try {
    await waitForFile(path, /host ready/);
    await Deno.rename(path, `${path}.old`); // as logrotate does, before its `create`
    await host.call("evrexec.run", ["chatty", "3"]);
    await waitForFile(`${path}.old`, /chatty record 2 /);
    host.process.kill("SIGUSR1"); // Deno's debugger signal: no longer the host's
    await waitForFile(`${path}.old`, /SIGUSR1 received: it does nothing here/);
    assert.equal(await sizeOf(path), null, "SIGUSR1 reopens nothing");
    host.process.kill("SIGUSR2");
    const fresh = await waitForFile(path, /SIGUSR2 received; reopened the log file/);
    assert.doesNotMatch(fresh, /host ready|chatty record/, "a new file, from the signal on");
    assert.equal(await host.call("evrexec.run", ["chatty", "2"]), 2);
    await waitForFile(path, /chatty record 1 /);
    const old = await Deno.readTextFile(`${path}.old`);
    assert.equal(old.match(/chatty record/g)?.length, 3, "the old file got no more records");
    await Deno.rename(path, `${path}.older`);
    assert.deepEqual(await host.call("evrexec.reopen_log"), { log_file: path });
    await waitForFile(path, /evrexec\.reopen_log: reopened the log file/);
    assert.equal((await host.stop()).code, 0);
  } finally {
    await host.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("log file: evrexec.reopen_log without --log-file answers null", async () => {
  const host = await startHost(SCRIPT);
  try {
    assert.deepEqual(await host.call("evrexec.reopen_log"), { log_file: null });
  } finally {
    await host.cleanup();
  }
});

/** Reads `reader` until its text matches `pattern`; returns the text. */
async function readUntil(reader: Deno.FsFile, pattern: RegExp, timeoutMs: number): Promise<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(256 * 1024);
  const deadline = Date.now() + timeoutMs;
  let text = "";
  while (!pattern.test(text.slice(-100_000))) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out waiting for ${pattern}`);
    // A read that nothing answers must not hold the suite (it once waited 16 minutes).
    const n = await withTimeout(reader.read(buffer), left, `timed out waiting for ${pattern}`);
    if (n === null) throw new Error(`the pipe closed before ${pattern}`);
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
  }
  return text;
}

async function answersWithin(host: TestHost, ms: number): Promise<number> {
  const started = performance.now();
  const answer = host.call("evrexec.run", ["echo", "still here"]);
  assert.equal(await withTimeout(answer, ms, `no answer within ${ms} ms`), "still here");
  const took = performance.now() - started;
  assert.ok(took < ms, `an RPC call took ${Math.round(took)} ms while the disk was stuck`);
  return took;
}

Deno.test("log file: a disk that takes no writes never blocks the host; drops are counted and told", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-log-" });
  const fifo = `${dir}/evrexec.log`; // a pipe nobody reads stands for a stuck disk
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output().catch(() => null);
  if (made === null || !made.success) {
    console.log("skipped: mkfifo is missing");
    return;
  }
  const opening = Deno.open(fifo, { read: true });
  const host = await startHost(SCRIPT, { args: ["--log-file", fifo], ready: false });
  const reader = await opening;
  try {
    await readUntil(reader, /host ready/, 15_000);
    // About 6 MB of records: the pipe takes 64 KiB, the queue 4 MiB, the rest is dropped.
    const chatty = host.call("evrexec.run", ["chatty", "30000"]);
    assert.equal(await withTimeout(chatty, 20_000, "the host took no call"), 30000);
    await answersWithin(host, 3000);
    await sleep(300);
    await answersWithin(host, 3000);
    const text = await readUntil(
      reader,
      /(\d+) log records were dropped while \S+ took no writes/,
      30_000,
    );
    const dropped = Number(/(\d+) log records were dropped/.exec(text)![1]);
    assert.ok(dropped > 0 && dropped < 30000, `dropped ${dropped}`);
    assert.ok(text.includes("chatty record 0 "), "records before the bound were kept");
    reader.close();
    assert.equal((await host.stop()).code, 0);
  } finally {
    try {
      reader.close();
    } catch {
      // closed above
    }
    await host.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("log file: a file that cannot be opened, and bad sizes, are one line and exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["--log-file", "/nonexistent/dir/evrexec.log"],
      /^evrexec-deno: cannot open --log-file \/nonexistent\/dir\/evrexec\.log: /,
    ],
    [
      ["--log-file", "/tmp/x.log", "--log-max-size", "10X"],
      /^evrexec-deno: --log-max-size must be 0 or a size from 1K to 1024G/,
    ],
    [
      ["--log-file", "/tmp/x.log", "--log-keep", "many"],
      /^evrexec-deno: --log-keep must be an integer from 0 to 1000, got "many"$/,
    ],
    [["--log-keep", "3"], /^evrexec-deno: --log-keep needs --log-file PATH$/],
  ];
  for (const [args, pattern] of cases) {
    const exit = await runHost([...args, SCRIPT]);
    assert.equal(exit.code, 2, exit.stderr);
    assert.equal(exit.stderr.trim().split("\n").length, 1, exit.stderr);
    assert.match(exit.stderr.trim(), pattern);
  }
});
