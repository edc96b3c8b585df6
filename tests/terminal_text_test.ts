// Text from data reaches the operator's terminal escaped (issue 29, third round): `deno task rpc`
// and `deno task top` print function results, error messages and table cells (a worker's last
// error) with ESC, CR, C1 and bidi controls made visible, so an answer cannot clear the screen,
// set the window title or rewrite a line; `--json` escapes what JSON.stringify leaves raw.
import assert from "node:assert/strict";
import { fixture, ROOT, runHost, withHost } from "./helpers/host.ts";
import { decoded } from "./helpers/clean_env_run.ts";

const SCRIPT = fixture("log_data.ts");
/** What no output of the clients may hold: controls other than LF and tab, C1, bidi, U+2028/9. */
// deno-lint-ignore no-control-regex -- control characters are what it finds
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const EVIL = "a\x1b]0;title\x07b\x1b[2Jc\rd\u009b31me\u2028f\u202eg";

async function run(args: string[], socket: string) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-all", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", COLUMNS: "200", EVREXEC_SOCKET: socket },
    stdin: "null",
  }).output();
  return decoded(output);
}

const rpc = (args: string[], socket: string) => run(["src/client/main.ts", ...args], socket);

Deno.test(
  "terminal text: deno task rpc escapes controls in results, errors, tables and --json",
  withHost(SCRIPT, { exec: ["name=painter;restart=no"] }, async (host) => {
    await host.waitFor(/painted/);
    const result = await rpc(["evrexec.run", "echo", `${EVIL}\nline two\tx`], host.socket);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, RAW, JSON.stringify(result.stdout));
    assert.equal(
      result.stdout,
      "a\\x1b]0;title\\x07b\\x1b[2Jc\\rd\\x9b31me\\u2028f\\u202eg\nline two\tx\n",
      "a string result keeps its lines and tabs; the rest is escaped",
    );
    const error = await rpc(["evrexec.run", "fail", EVIL], host.socket);
    assert.equal(error.code, 1);
    assert.doesNotMatch(error.stderr, RAW, JSON.stringify(error.stderr));
    assert.match(error.stderr, /^error -32000: failed: a\\x1b\]0;title\\x07b\\x1b\[2Jc\\rd/);
    assert.equal(error.stderr.trimEnd().split("\n").length, 1, "one line");
    const json = await rpc(["--json", "evrexec.run", "echo", EVIL], host.socket);
    assert.doesNotMatch(json.stdout, RAW, JSON.stringify(json.stdout));
    assert.equal(JSON.parse(json.stdout).result, EVIL, "--json carries the value unchanged");
    for (const method of ["core.psx", "evrexec.list"]) {
      const table = await rpc([method], host.socket);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /painted/);
      assert.doesNotMatch(table.stdout, RAW, `${method}: ${JSON.stringify(table.stdout)}`);
    }
  }),
);

Deno.test(
  "terminal text: deno task top --once escapes a worker's last error",
  withHost(SCRIPT, { exec: ["name=painter;restart=no"] }, async (host) => {
    await host.waitFor(/painted/);
    const top = await run(["src/client/top.ts", "--once"], host.socket);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /painted/);
    assert.doesNotMatch(top.stdout, RAW, JSON.stringify(top.stdout));
  }),
);

Deno.test("terminal text: a start-up error quoting a value or a path escapes its controls", async () => {
  const cases = [
    ["--exec", "name=a\u009b2J\u202eb;wait=\x1b[2J", SCRIPT],
    [`${ROOT}tests/fixtures/\u009b2J\x1b]0;t\x07nope.ts`],
    ["--log-level", "\u2028\u009b31m"],
  ];
  for (const args of cases) {
    const exit = await runHost(args);
    assert.equal(exit.code, 2, exit.stderr);
    assert.equal(exit.stderr.trimEnd().split("\n").length, 1, exit.stderr);
    assert.doesNotMatch(exit.stderr, RAW, JSON.stringify(exit.stderr));
  }
});
