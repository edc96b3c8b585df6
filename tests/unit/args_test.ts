// The host's command line, parsed without starting anything.
import assert from "node:assert/strict";
import { parseCli } from "../../src/cli/args.ts";
import { ConfigError } from "../../src/base/errors.ts";
import { readChoice, readInteger } from "../../src/base/values.ts";

const SCRIPT = new URL("../fixtures/tasks.ts", import.meta.url).pathname;

function config(...args: string[]) {
  const request = parseCli([...args, SCRIPT]);
  assert.equal(request.kind, "run");
  return request.kind === "run" ? request : assert.fail();
}

Deno.test("args: defaults", () => {
  const { config: c } = config("--socket", "/tmp/x.sock");
  assert.equal(c.socket, "/tmp/x.sock");
  assert.equal(c.socketMode, 0o600);
  assert.deepEqual(
    [c.rpcWorkers, c.rpcQueue, c.rpcTimeoutMs, c.shutdownTimeoutMs],
    [2, 1000, 30_000, 5000],
  );
  assert.deepEqual([c.maxConnections, c.idleTimeoutMs, c.logLevel, c.logFormat], [
    512,
    120_000,
    "info",
    "text",
  ]);
  assert.equal(c.maxStuck, Math.max(2, Math.floor(navigator.hardwareConcurrency / 2)));
  assert.equal(c.tasks.length, 0);
  assert.ok(c.scriptUrl.startsWith("file:///"));
});

Deno.test("args: --watch and --check are off unless given", () => {
  assert.deepEqual([config().config.watch, config().config.check], [false, false]);
  const { config: c } = config("--watch", "--check");
  assert.deepEqual([c.watch, c.check], [true, true]);
});

Deno.test("args: every --exec is one task, in order", () => {
  const { config: c } = config("-e", "name=a", "--exec", "name=b;workers=3");
  assert.deepEqual(c.tasks.map((t) => [t.name, t.workers]), [["a", 1], ["b", 3]]);
});

Deno.test("args: help and version win over everything else", () => {
  assert.deepEqual(parseCli(["--help"]), { kind: "help" });
  assert.deepEqual(parseCli(["-V"]), { kind: "version" });
});

const BAD: [string[], RegExp][] = [
  [["--rpc-workers", "0"], /--rpc-workers must be an integer from 1 to 256, got "0"/],
  [["--rpc-queue", "x"], /--rpc-queue must be an integer from 0 to 1000000, got "x"/],
  [["--rpc-timeout", "1.5"], /--rpc-timeout must be an integer/],
  [["--socket-mode", "999"], /--socket-mode must be an octal file mode such as 0600/],
  [["--log-level", "loud"], /--log-level must be one of debug, info, warning, error/],
  [["--log-format", "xml"], /--log-format must be one of text, json/],
  [["--socket", ""], /--socket must not be empty/],
  [["--max-stuck", "2000"], /--max-stuck must be an integer from 0 to 1024, got "2000"/],
  [["--max-stuck", "many"], /--max-stuck must be an integer from 0 to 1024, got "many"/],
  [["--bogus"], /unknown option --bogus \(see --help\)/],
  [["--socket"], /--socket needs a value/],
  [["--exec", "name="], /exec spec "name=": empty "name"/],
  [["--watch=yes"], /^--watch takes no value \(see --help\)$/],
  [["--check=strict"], /^--check takes no value \(see --help\)$/],
];

for (const [args, message] of BAD) {
  Deno.test(`args: ${args.join(" ")} is a ConfigError`, () => {
    assert.throws(() => parseCli([SCRIPT, ...args]), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, message);
      return true;
    });
  });
}

Deno.test("args: SCRIPT is required, once, and must exist", () => {
  assert.throws(() => parseCli([]), /missing SCRIPT/);
  assert.throws(() => parseCli([SCRIPT, SCRIPT]), /expected one SCRIPT, got 2/);
  assert.throws(() => parseCli(["/nonexistent/script.ts"]), /script not found/);
});

Deno.test("values: integers within bounds, words from a list", () => {
  assert.equal(readInteger("n", "42", 0, 100), 42);
  assert.throws(() => readInteger("n", " 42", 0, 100), /got " 42"/);
  assert.throws(
    () => readInteger("n", "101", 0, 100, " (ms)"),
    /n must be an integer from 0 to 100 \(ms\), got "101"/,
  );
  assert.throws(() => readInteger("n", "-1", 0, 100), /got "-1"/);
  assert.throws(() => readInteger("n", "", 0, 100), /got ""/);
  assert.equal(readChoice("c", "b", ["a", "b"]), "b");
  assert.throws(() => readChoice("c", "B", ["a", "b"]), /c must be one of a, b, got "B"/);
});
