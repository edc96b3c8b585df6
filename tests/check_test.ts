// --check: deno check before start-up and before each reload (evrexec.reload,
// SIGHUP, --watch), with a cache keyed by the module graph's contents.
import assert from "node:assert/strict";
import type { RpcError } from "../src/rpc/errors.ts";
import { runHost, startHost } from "./helpers/host.ts";
import { copyWatched, save, untilVersion } from "./helpers/watched.ts";

const TYPE_ERROR = "export const greeting: string = 42;\n";

Deno.test("check: a type error at start exits 2 with the checker's lines, then one line of the host's", async () => {
  const copy = await copyWatched();
  await Deno.writeTextFile(copy.greeting, TYPE_ERROR);
  const host = await startHost(copy.script, {
    args: ["--check"],
    permissions: ["--allow-run"],
    ready: false,
  });
  try {
    const exit = await host.waitExit(120_000);
    assert.equal(exit.code, 2, exit.stderr);
    const lines = exit.stderr.trim().split("\n");
    assert.ok(
      lines.includes("TS2322 [ERROR]: Type 'number' is not assignable to type 'string'."),
      exit.stderr,
    );
    assert.ok(lines.includes(`    at file://${copy.greeting}:1:14`), exit.stderr);
    assert.equal(
      lines.at(-1),
      "evrexec-deno: --check: deno check found 1 error; the first: TS2322 [ERROR]: Type 'number' " +
        `is not assignable to type 'string'. (at file://${copy.greeting}:1:14); nothing was started`,
    );
    assert.ok(!exit.stderr.includes("\x1b["), "no colours when stderr is not a terminal");
    assert.doesNotMatch(exit.stderr, /Stack backtrace|host ready/);
  } finally {
    await host.cleanup();
    await copy.remove();
  }
});

Deno.test("check: a type error on save or on evrexec.reload keeps the old version; an unchanged graph is not checked twice", async () => {
  const copy = await copyWatched();
  const host = await startHost(copy.script, {
    args: ["--watch", "--check", "--log-level", "debug"],
    permissions: ["--allow-run"],
  }).catch(async (error) => {
    await copy.remove();
    throw error;
  });
  try {
    await host.waitFor(/deno check .*script\.ts: ok \(2 files, \d+ ms\)/);
    assert.equal(await host.call("evrexec.run", ["version"]), "v1 hello");

    await save(copy.greeting, TYPE_ERROR);
    await host.waitFor(
      /greeting\.ts changed; reload failed, the running version is kept: deno check found 1 error; the first: TS2322 .*greeting\.ts:1:14\)/,
      120_000,
    );
    assert.equal(
      await host.call("evrexec.run", ["version"]),
      "v1 hello",
      "the old version answers",
    );

    const client = await host.client();
    const error = await client.call("evrexec.reload").then(
      () => assert.fail("the reload must fail"),
      (e) => e as RpcError,
    );
    assert.equal(error.code, -32003);
    assert.match(
      error.message,
      /^reload failed, the running version is kept: deno check found 1 error; the first: TS2322 \[ERROR\]: Type 'number' is not assignable/,
    );
    assert.equal(
      host.count(
        /deno check .*: 1 error \(2 files, \d+ ms; cached: the module graph has not changed\)/,
      ),
      1,
      host.log,
    );

    host.process.kill("SIGHUP");
    await host.waitFor(
      /SIGHUP received[^]*\[ERR\] evrexec: reload failed, the running version is kept: deno check/,
      60_000,
    );
    assert.equal(host.count(/cached: the module graph has not changed/), 2, host.log);
    assert.equal(await client.call("evrexec.run", ["version"]), "v1 hello");

    await save(copy.greeting, 'export const greeting: string = "fixed";\n');
    await untilVersion(host, "v1 fixed", 120_000);
    const report = await client.call("evrexec.reload") as { version: number };
    assert.equal(report.version, 3);
    assert.equal(host.count(/: ok \(2 files, \d+ ms; cached/), 1, host.log);
  } finally {
    await host.cleanup();
    await copy.remove();
  }
});

for (const option of ["--check", "--watch"]) {
  Deno.test(`check: ${option} without --allow-run for deno is one line, exit 2`, async () => {
    const copy = await copyWatched();
    try {
      const exit = await runHost(["--socket", `${copy.dir}/rpc.sock`, option, copy.script]);
      assert.equal(exit.code, 2);
      const tool = option === "--check" ? "deno check" : "deno info";
      assert.equal(
        exit.stderr.trim(),
        `evrexec-deno: ${option} runs "${tool}" and needs --allow-run for the deno binary: ` +
          "deno task dev and the installed evrexec command give it; with deno run, add " +
          `--allow-run=${Deno.execPath()} (or --allow-run)`,
      );
    } finally {
      await copy.remove();
    }
  });
}
