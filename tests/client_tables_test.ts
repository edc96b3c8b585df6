// `deno task rpc` shows core.psx, evrexec.list and stats as aligned tables
// sized to the terminal ($COLUMNS here), keeps JSON with --json, and types
// params as kamcli does.
import assert from "node:assert/strict";
import { fixture, ROOT, withHost } from "./helpers/host.ts";
import { decoded } from "./helpers/clean_env_run.ts";

const OBSERVE = fixture("observe.ts");

async function rpc(args: string[], columns = "80") {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "rpc", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", COLUMNS: columns },
    stdin: "null",
  }).output();
  return decoded(output);
}

/**
 * Checks that every line fits `maxWidth` and keeps the header's columns: a
 * left-aligned column (`left`) starts where its title starts, a right-aligned
 * one (`right`) ends where its title ends.
 */
function assertAligned(
  text: string,
  columns: { left?: string[]; right?: string[] },
  maxWidth: number,
): string[] {
  const lines = text.trimEnd().split("\n");
  const header = lines[0];
  for (const line of lines) {
    assert.ok(line.length <= maxWidth, `${line.length} > ${maxWidth}: ${line}`);
    for (const title of columns.left ?? []) {
      const start = header.indexOf(title);
      assert.ok(start >= 0, `${title} in ${header}`);
      if (start > 0) assert.equal(line[start - 1], " ", `${title} starts at ${start}: ${line}`);
    }
    for (const title of columns.right ?? []) {
      const end = header.indexOf(title) + title.length;
      assert.ok(line[end] === undefined || line[end] === " ", `${title} ends at ${end}: ${line}`);
      assert.notEqual(line[end - 1], " ", `${title} ends at ${end}: ${line}`);
    }
  }
  return lines;
}

Deno.test(
  "client: core.psx, evrexec.list and stats as tables sized to the terminal; --json keeps JSON",
  withHost(OBSERVE, {
    exec: ["name=steady;workers=2", "name=crash"],
  }, async (host) => {
    await host.waitFor(/task "crash" worker 0: function failed/);
    const psx = await rpc(["-s", host.socket, "core.psx"]);
    assert.equal(psx.code, 0, psx.stderr);
    const psxLines = assertAligned(
      psx.stdout,
      { left: ["TASK", "STATE", "LAST ERROR"], right: ["IDX", "PID", "INDEX", "RESTARTS"] },
      80,
    );
    assert.equal(psxLines.length, 1 + 2 + 3);
    assert.match(psxLines.find((line) => line.includes("crash"))!, /failed .* \d+s ago: crash 0/);

    const narrow = await rpc(["-s", host.socket, "core.psx"], "60");
    assertAligned(narrow.stdout, { left: ["TASK"], right: ["PID"] }, 60);
    assert.match(narrow.stdout, /…/);

    const list = await rpc(["-s", host.socket, "evrexec.list"]);
    const listLines = assertAligned(
      list.stdout,
      { left: ["TASK", "TASK STATE", "LAST ERROR"], right: ["INDEX", "RESTARTS"] },
      80,
    );
    assert.deepEqual(
      listLines.slice(1).map((line) => line.split(/\s+/).slice(0, 4).join(" ")),
      ["steady active 0 running", "steady active 1 running", "crash active 0 failed"],
    );

    await rpc(["-s", host.socket, "evrexec.run", "echo", "x"]);
    const stats = await rpc(["-s", host.socket, "stats.get_statistics", "evrexec:"]);
    const statLines = assertAligned(stats.stdout, { left: ["STATISTIC"], right: ["VALUE"] }, 80);
    assert.match(statLines.find((line) => line.startsWith("evrexec:runs "))!, / 1$/);
    const valueEnd = statLines[0].length;
    assert.ok(statLines.every((line) => line.length === valueEnd), "values right-aligned");

    const json = await rpc(["-s", host.socket, "--json", "core.psx"]);
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.jsonrpc, "2.0");
    assert.equal(parsed.result.length, 5);
  }),
);

Deno.test(
  "client: params typed as kamcli types them (i: a number, s: a string, j: JSON); bad ones exit 2",
  withHost(OBSERVE, {}, async (host) => {
    const typed = async (param: string) => {
      const result = await rpc(["-s", host.socket, "evrexec.run", "echo", param]);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout.trimEnd();
    };
    assert.equal(await typed("i:5"), "5"); // a number: the function gets its JSON text
    assert.equal(await typed("s:i:5"), "i:5");
    assert.equal(await typed('j:{"a":[1,2]}'), '{"a":[1,2]}');
    assert.equal(await typed("plain"), "plain");
    const named = await rpc(["-s", host.socket, "stats.get_statistics", "s:run_unknown"]);
    assert.match(named.stdout, /evrexec:run_unknown\s+0/);
    for (
      const [param, pattern] of [["i:five", /i: must be followed by a number/], [
        "j:{nope",
        /j: must be followed by JSON/,
      ]] as const
    ) {
      const bad = await rpc(["-s", host.socket, "evrexec.run", "echo", param]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, pattern);
      assert.equal(bad.stderr.trim().split("\n").length, 1);
    }
  }),
);
