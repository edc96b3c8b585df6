// The new options, parsed without starting anything: --rpc-dgram, --metrics, --stats,
// and the client's typed params and tables.
import assert from "node:assert/strict";
import { parseCli } from "../../src/cli/args.ts";
import { ConfigError } from "../../src/base/errors.ts";
import { isLoopback, parseHostPort } from "../../src/base/host_port.ts";
import { typedParam } from "../../src/client/params.ts";
import { renderTable } from "../../src/client/text_table.ts";

const SCRIPT = new URL("../fixtures/observe.ts", import.meta.url).pathname;

function config(...args: string[]) {
  const request = parseCli([...args, SCRIPT]);
  return request.kind === "run" ? request.config : assert.fail();
}

function refuses(args: string[], pattern: RegExp) {
  assert.throws(() => parseCli([...args, SCRIPT]), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, pattern);
    assert.equal(error.message.includes("\n"), false);
    return true;
  });
}

Deno.test("args: --rpc-dgram, --metrics and --stats, with their defaults", () => {
  const plain = config();
  assert.deepEqual([plain.rpcDgram, plain.metrics, plain.stats], [[], undefined, true]);
  const c = config(
    "--rpc-dgram",
    "unix:/run/k.sock",
    "--rpc-dgram",
    "udp:[::1]:9062",
    "--rpc-dgram",
    "UDP:localhost:0",
    "--metrics",
    "127.0.0.1:9464",
    "--stats",
    "off",
  );
  assert.deepEqual(c.rpcDgram, [
    { kind: "unix", path: "/run/k.sock", text: "unix:/run/k.sock" },
    { kind: "udp", host: "::1", port: 9062, text: "udp:[::1]:9062" },
    { kind: "udp", host: "localhost", port: 0, text: "UDP:localhost:0" },
  ]);
  assert.deepEqual(c.metrics, { host: "127.0.0.1", port: 9464 });
  assert.equal(c.stats, false);
  const open = config(
    "--rpc-dgram",
    "udp:0.0.0.0:9062",
    "--rpc-dgram-public",
    "--metrics",
    "[::]:9464",
    "--metrics-public",
  );
  assert.equal(open.rpcDgram?.[0].kind, "udp");
  assert.deepEqual(open.metrics, { host: "::", port: 9464 });
});

Deno.test("args: every bad value of the new options is one line", () => {
  refuses(
    ["--rpc-dgram", "/run/k.sock"],
    /--rpc-dgram must be unix:PATH or udp:HOST:PORT, got "\/run\/k.sock"/,
  );
  refuses(["--rpc-dgram", "unix:"], /--rpc-dgram unix:PATH needs a PATH/);
  refuses(["--rpc-dgram", "udp:127.0.0.1"], /--rpc-dgram must be udp:HOST:PORT/);
  refuses(
    ["--rpc-dgram", "udp:127.0.0.1:70000"],
    /--rpc-dgram port must be at most 65535, got 70000/,
  );
  refuses(
    ["--rpc-dgram", "udp:10.0.0.1:9062"],
    /not a loopback address; this transport has no authentication, so give --rpc-dgram-public/,
  );
  refuses(
    ["--rpc-dgram", "unix:/a", "--rpc-dgram", "unix:/a"],
    /--rpc-dgram unix:\/a is given twice/,
  );
  refuses(["--rpc-dgram-public"], /--rpc-dgram-public needs --rpc-dgram/);
  refuses(["--metrics", "9464"], /--metrics must be HOST:PORT/);
  refuses(["--metrics", "localhost:99999"], /--metrics must be HOST:PORT/);
  refuses(["--metrics", "example.org:9464"], /not a loopback address; give --metrics-public/);
  refuses(["--metrics-public"], /--metrics-public needs --metrics/);
  refuses(["--stats", "yes"], /--stats must be one of on, off, got "yes"/);
});

Deno.test("host:port and loopback", () => {
  assert.deepEqual(parseHostPort("[::1]:80"), { host: "::1", port: 80 });
  assert.equal(parseHostPort("::1:80"), null);
  assert.equal(parseHostPort("a:65536"), null);
  for (const host of ["localhost", "127.0.0.1", "127.9.8.7", "::1", "::ffff:127.0.0.1"]) {
    assert.ok(isLoopback(host), host);
  }
  for (const host of ["0.0.0.0", "::", "10.0.0.1", "example.org", "128.0.0.1"]) {
    assert.ok(!isLoopback(host), host);
  }
});

Deno.test("client: params typed as kamcli types them", () => {
  assert.equal(typedParam("i:5"), 5);
  assert.equal(typedParam("i:-2.5e3"), -2500);
  assert.equal(typedParam("s:5"), "5");
  assert.equal(typedParam("s:i:5"), "i:5");
  assert.deepEqual(typedParam('j:{"a":[1]}'), { a: [1] });
  assert.equal(typedParam("5"), "5");
  assert.throws(() => typedParam("i:"), /i: must be followed by a number/);
  assert.throws(() => typedParam("i:0x10"), /i: must be followed by a number/);
  assert.throws(() => typedParam("j:{"), /j: must be followed by JSON/);
});

Deno.test("client: tables align and fit the width, the last column shrinking first", () => {
  const columns = [{ title: "N", align: "right" as const }, { title: "NAME" }, { title: "NOTE" }];
  const rows = [["1", "alpha", "a long note that will not fit"], ["100", "b", "-\nsecond line"]];
  assert.equal(
    renderTable(columns, rows),
    "  N  NAME   NOTE\n  1  alpha  a long note that will not fit\n100  b      -",
  );
  const narrow = renderTable(columns, rows, 24).split("\n");
  assert.ok(narrow.every((line) => line.length <= 24), narrow.join("\n"));
  assert.equal(narrow[1], "  1  alpha  a long note…");
});
