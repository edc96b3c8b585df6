// Log records cannot be forged through data (issue 29 item 6): in the text format a record is
// always one line, whatever control characters a script logs (KSR) or throws (in an RPC call, at
// debug, and in an exec task); a function name a caller sends is not logged, and tried too; CR, LF, the other C0 controls, DEL, C1, U+2028/2029 and the bidi
// controls are escaped, and JSON lines stay valid JSON that carries the data unchanged.
import assert from "node:assert/strict";
import { fixture, startHost } from "./helpers/host.ts";
import { waitForFile } from "./helpers/file_wait.ts";

const SCRIPT = fixture("log_data.ts");
const FORGED = "2001-01-01 00:00:00.000 +00 [ERR] evrexec: x";
/** Every kind of character that must not reach the log raw. */
const DATA =
  `hello\n${FORGED}\rback\x1b[2Jclear\x00nul\x7fdel\x9bcsi\u2028ls\u2029ps\u202erlo\tend`;
/** What may appear in a text log file besides printable text: the line feed ending each record. */
// deno-lint-ignore no-control-regex -- control characters are what it finds
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

Deno.test("log records: data with CR, LF and control characters stays on one escaped line (text)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-logrec-" });
  const path = `${dir}/evrexec.log`;
  const host = await startHost(SCRIPT, {
    exec: ["name=forger;restart=no"],
    args: ["--log-file", path, "--log-level", "debug"],
    ready: false,
  });
  try {
    await waitForFile(path, /host ready/);
    assert.equal(await host.call("evrexec.run", ["say", DATA]), DATA.length);
    await assert.rejects(host.call("evrexec.run", ["fail", DATA]));
    await assert.rejects(host.call("evrexec.run", [`no\n${FORGED}`, "x"]));
    for (const marker of [/logged: hello/, /failed: hello/, /forged by a task/]) {
      await waitForFile(path, marker);
    }
    const final = await Deno.readTextFile(path);
    const lines = final.split("\n");
    assert.equal(lines.at(-1), "", "the file ends with a line feed");
    for (const line of lines) {
      assert.ok(!line.startsWith("2001-01-01"), `a forged record: ${JSON.stringify(line)}`);
      assert.doesNotMatch(line, RAW_CONTROL, `a raw control character: ${JSON.stringify(line)}`);
    }
    for (const marker of ["said: hello", "logged: hello", "failed: hello", "task says hi"]) {
      const found = lines.filter((line) => line.includes(marker));
      assert.ok(found.length >= 1, `no record with ${marker}:\n${final}`);
      assert.match(
        found[0],
        /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d\d /,
        "a record's own head",
      );
    }
    const said = lines.find((line) => line.includes("said: hello"))!;
    assert.ok(
      said.includes(`said: hello\\n${FORGED}\\rback\\x1b[2Jclear\\x00nul\\x7fdel\\x9bcsi`),
      said,
    );
    assert.ok(said.includes("\\u2028ls\\u2029ps\\u202erlo\\tend"), said);
    assert.ok(lines.find((line) => line.includes("task says hi"))!.includes("hi\\n2001-01-01"));
  } finally {
    await host.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("log records: JSON lines stay valid JSON, one per line, carrying the data unchanged", async () => {
  const host = await startHost(SCRIPT, { args: ["--log-format", "json", "--log-level", "debug"] });
  try {
    assert.equal(await host.call("evrexec.run", ["say", DATA]), DATA.length);
    await host.waitFor(/logged: hello/);
    const exit = await host.stop();
    assert.equal(exit.code, 0);
    assert.doesNotMatch(exit.stderr, /[\u2028\u2029\x7f-\x9f\u202a-\u202e]/, "no raw separators");
    const records = exit.stderr.trimEnd().split("\n").map((line) => JSON.parse(line));
    const said = records.find((record) => String(record.message).startsWith("said: "));
    assert.equal(said?.message, `said: ${DATA}`);
  } finally {
    await host.cleanup();
  }
});
