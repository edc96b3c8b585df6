// The script argument: paths, file URLs, and every way it can fail to load.
import assert from "node:assert/strict";
import { fixture, runHost, startHost } from "./helpers/host.ts";

async function inTempDir(files: Record<string, string>, body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-script-" });
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected, got:\n${stderr}`);
  assert.match(lines[0], pattern);
}

const CASES: [string, Record<string, string>, RegExp][] = [
  ["a missing file", {}, /script not found: .*\/missing\.ts$/],
  [
    "a syntax error",
    { "s.ts": "export function broken( {\n" },
    /cannot load script .*s\.ts: SyntaxError: .*\(at file:.*s\.ts:1:\d+\)/,
  ],
  [
    "a failing import",
    { "s.ts": 'import "./nothere.ts";\nexport function a() {}\n' },
    /cannot load script .*s\.ts: Module not found .*nothere\.ts/,
  ],
  [
    "a throw at the top level",
    { "s.ts": 'throw new Error("top-level boom");\n' },
    /cannot load script .*s\.ts: top-level boom \(at file:.*s\.ts:1:\d+\)/,
  ],
];

for (const [what, files, pattern] of CASES) {
  Deno.test(`script: ${what} exits 2 with one clear line`, async () => {
    await inTempDir(files, async (dir) => {
      const script = files["s.ts"] ? `${dir}/s.ts` : `${dir}/missing.ts`;
      const exit = await runHost(["--socket", `${dir}/rpc.sock`, "--exec", "name=a", script]);
      assert.equal(exit.code, 2, exit.stderr);
      assertOneLine(exit.stderr, pattern);
      await assert.rejects(Deno.lstat(`${dir}/rpc.sock`), "no socket left behind");
    });
  });
}

Deno.test("script: a directory is refused", async () => {
  await inTempDir({}, async (dir) => {
    const exit = await runHost(["--socket", `${dir}/rpc.sock`, dir]);
    assert.equal(exit.code, 2);
    assertOneLine(exit.stderr, /is a directory, not a regular file/);
  });
});

Deno.test("script: a relative path and a file URL both work", async () => {
  const relative = new URL("./fixtures/tasks.ts", import.meta.url).pathname
    .replace(Deno.cwd() + "/", "");
  for (const script of [relative, `file://${fixture("tasks.ts")}`]) {
    const host = await startHost(script, { exec: ["name=record"] });
    try {
      await host.waitFor(/called index=0 /);
    } finally {
      await host.cleanup();
    }
  }
});

Deno.test("cli: usage errors exit 2 with one line; --help and --version exit 0", async () => {
  const usage: [string[], RegExp][] = [
    [[], /missing SCRIPT/],
    [["a.ts", "b.ts"], /expected one SCRIPT, got 2/],
    [["--bogus", "a.ts"], /unknown option --bogus/],
    [["--exec"], /--exec.* needs a value/],
    [
      ["--log-level", "loud", fixture("tasks.ts")],
      /--log-level must be one of debug, info, warning, error/,
    ],
    [["--log-format", "xml", fixture("tasks.ts")], /--log-format must be one of text, json/],
    [["--rpc-workers", "0", fixture("tasks.ts")], /--rpc-workers must be an integer from 1/],
    [["--socket-mode", "999", fixture("tasks.ts")], /--socket-mode must be an octal file mode/],
    [["--max-stuck", "x", fixture("tasks.ts")], /--max-stuck must be an integer from 0 to 1024/],
  ];
  for (const [args, pattern] of usage) {
    const exit = await runHost(args);
    assert.equal(exit.code, 2, `${args.join(" ")}: ${exit.stderr}`);
    assertOneLine(exit.stderr, pattern);
  }
  const help = await runHost(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--exec SPEC/);
  const version = await runHost(["-V"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^evrexec-deno \d+\.\d+\.\d+ \(deno /);
});
