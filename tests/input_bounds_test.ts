// Input the host reads or repeats has a bound. A config file or a script that is not a regular
// file (/dev/zero, a FIFO) or is over its limit (1 MiB, 16 MiB) is one error line with exit 2 at
// start-up and a -32003 answer at a reload, never an endless read or a block. An error that quotes
// a bad value quotes at most 100 characters of it, on the command line, in a config file and in
// an RPC answer.
import assert from "node:assert/strict";
import type { RpcError } from "../src/rpc/errors.ts";
import { fixture, runHost, startHost } from "./helpers/host.ts";
import { RawClient, request } from "./helpers/raw.ts";

const SCRIPT = fixture("rpc.ts");
/** An error line that quotes a value: the line's whole length stays under this. */
const SHORT_LINE = 1200;

/** Asserts `stderr` is one line matching `pattern`, and short. */
function oneShortLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected, got ${lines.length}: ${stderr.slice(0, 500)}`);
  assert.ok(lines[0].length < SHORT_LINE, `a short line, got ${lines[0].length} characters`);
  assert.match(lines[0], pattern);
}

async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-bounds-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function mkfifo(path: string): void {
  const made = new Deno.Command("mkfifo", { args: [path] }).outputSync();
  assert.equal(made.code, 0, "mkfifo");
}

/** The error `promise` rejects with; fails the test if it resolves or takes over 15 s. */
async function failure(promise: Promise<unknown>): Promise<RpcError> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no answer within 15 s: the host blocked")), 15_000);
  });
  try {
    return await Promise.race([promise, late]).then(
      () => assert.fail("must fail"),
      (error) => {
        if (!(error instanceof Error) || !("code" in error)) throw error;
        return error as RpcError;
      },
    );
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("bounds: a config file that is a device, a FIFO or over 1 MiB stops start-up at once", async () => {
  await inTempDir(async (dir) => {
    mkfifo(`${dir}/fifo.jsonc`);
    // A valid object padded with a comment to 2 MiB.
    await Deno.writeTextFile(
      `${dir}/big.jsonc`,
      `{ "script": "${SCRIPT}" }\n//${"x".repeat(2 << 20)}\n`,
    );
    // Second round: 5,000 levels overflowed the parser's stack (exit 1, "fatal: Maximum call stack").
    await Deno.writeTextFile(`${dir}/deep.jsonc`, `{ "tasks": ${"[".repeat(100_000)} }`);
    const cases: [string, RegExp][] = [
      [`${dir}/deep.jsonc`, /^evrexec-deno: .*deep\.jsonc:1:75: nested deeper than 64 levels$/],
      [
        "/dev/zero",
        /^evrexec-deno: config file \/dev\/zero is a character device, not a regular file$/,
      ],
      [`${dir}/fifo.jsonc`, /config file .*fifo\.jsonc is a FIFO, not a regular file$/],
      [dir, /config file .* is a directory, not a regular file$/],
      [
        `${dir}/big.jsonc`,
        new RegExp(
          `big\\.jsonc is ${(await Deno.stat(`${dir}/big.jsonc`)).size} bytes, ` +
            "over the limit of 1048576 bytes \\(1 MiB\\)$",
        ),
      ],
    ];
    for (const [path, pattern] of cases) {
      const started = performance.now();
      const exit = await runHost(["--socket", `${dir}/rpc.sock`, "--config", path], 15_000);
      const ms = performance.now() - started;
      assert.equal(exit.code, 2, `${path}: ${exit.stderr}`);
      oneShortLine(exit.stderr, pattern);
      assert.ok(ms < 10_000, `${path}: refused in ${Math.round(ms)} ms`);
    }
  });
});

Deno.test("bounds: a script that is a device, a FIFO or over 16 MiB stops start-up at once", async () => {
  await inTempDir(async (dir) => {
    mkfifo(`${dir}/fifo.ts`);
    await Deno.writeTextFile(
      `${dir}/big.ts`,
      `// ${"x".repeat(17 << 20)}\nexport function f() {}\n`,
    );
    const cases: [string, RegExp][] = [
      ["/dev/zero", /^evrexec-deno: script \/dev\/zero is a character device, not a regular file$/],
      [`${dir}/fifo.ts`, /script .*fifo\.ts is a FIFO, not a regular file$/],
      [
        `${dir}/big.ts`,
        new RegExp(
          `big\\.ts is ${(await Deno.stat(`${dir}/big.ts`)).size} bytes, ` +
            "over the limit of 16777216 bytes \\(16 MiB\\)$",
        ),
      ],
    ];
    for (const [path, pattern] of cases) {
      const exit = await runHost(["--socket", `${dir}/rpc.sock`, path], 15_000);
      assert.equal(exit.code, 2, `${path}: ${exit.stderr}`);
      oneShortLine(exit.stderr, pattern);
    }
  });
});

Deno.test("bounds: at a reload, a config file or script turned FIFO or too big is -32003; the host runs on", async () => {
  await inTempDir(async (dir) => {
    const config = `${dir}/evrexec.jsonc`;
    const script = `${dir}/script.ts`;
    await Deno.copyFile(SCRIPT, script);
    const good = `{ "script": "${script}", "rpc-workers": 1 }\n`;
    await Deno.writeTextFile(config, good);
    const host = await startHost(null, { args: ["--config", config] });
    try {
      const swaps: [string, () => Promise<void>, RegExp][] = [
        ["config FIFO", async () => {
          await Deno.remove(config);
          mkfifo(config);
        }, /config file .*evrexec\.jsonc is a FIFO, not a regular file$/],
        ["config 2 MiB", async () => {
          await Deno.remove(config); // writing to the FIFO would block this test
          await Deno.writeTextFile(config, good + `//${"x".repeat(2 << 20)}\n`);
        }, /evrexec\.jsonc is \d+ bytes, over the limit of 1048576 bytes \(1 MiB\)$/],
        ["config a symlink to /dev/zero", async () => {
          await Deno.remove(config);
          await Deno.symlink("/dev/zero", config);
        }, /evrexec\.jsonc is a character device, not a regular file$/],
        ["config nested 100,000 deep", async () => {
          await Deno.remove(config);
          await Deno.writeTextFile(config, `{ "x": ${'{ "x": '.repeat(100_000)}`);
        }, /evrexec\.jsonc:1:\d+: nested deeper than 64 levels$/],
        ["script FIFO", async () => {
          await Deno.remove(config);
          await Deno.writeTextFile(config, good);
          await Deno.remove(script);
          mkfifo(script);
        }, /script .*script\.ts is a FIFO, not a regular file$/],
      ];
      for (const [what, swap, pattern] of swaps) {
        await swap();
        const started = performance.now();
        const error = await failure(host.call("evrexec.reload"));
        assert.equal(error.code, -32003, `${what}: ${error.message}`);
        assert.match(error.message, /^reload failed, the running version is kept: /);
        assert.match(error.message, pattern, what);
        assert.ok(performance.now() - started < 10_000, `${what}: answered at once`);
        assert.equal(await host.call("evrexec.run", ["kinds", "string"]), "text", what);
      }
    } finally {
      await host.cleanup();
    }
  });
});

Deno.test("bounds: an error quoting a huge value quotes 100 characters and how many more", async () => {
  await inTempDir(async (dir) => {
    const huge = "x".repeat(100_000); // a command-line argument may be 128 KiB at most
    const quoted = `"${"x".repeat(100)}"… (99900 more characters)`;
    const exits: [string[], RegExp][] = [
      [
        ["--log-level", huge],
        /--log-level must be one of .*, got "x{100}"… \(99900 more characters\)$/,
      ],
      [["--rpc-workers", huge], /--rpc-workers must be an integer from .*, got "x{100}"… \(99900/],
      [
        ["--exec", `name=a;${huge}=1`],
        /^evrexec-deno: exec spec "name=a;x{93}"… \(99909 more characters\): unknown key "x{100}"… \(99900 more/,
      ],
      [
        [`--${huge}`],
        /^evrexec-deno: unknown option --x{98}… \(99902 more characters\) \(see --help\)$/,
      ],
      [
        ["--metrics", huge],
        /--metrics must be HOST:PORT .*, got "x{100}"… \(99900 more characters\)$/,
      ],
    ];
    for (const [args, pattern] of exits) {
      const exit = await runHost(["--socket", `${dir}/rpc.sock`, ...args, SCRIPT]);
      assert.equal(exit.code, 2, exit.stderr.slice(0, 300));
      oneShortLine(exit.stderr, pattern);
      if (args[0] === "--log-level") assert.ok(exit.stderr.includes(quoted));
    }
    // The same from a config file, where a value may be much longer.
    const long = "y".repeat(900_000);
    const files: [string, RegExp][] = [
      [
        `{ "log-level": "${long}" }`,
        /1:17: --log-level must be one of .*got "y{100}"… \(899900 more characters\)$|log-level must be one of .*got "y{100}"… \(899900 more characters\)$/,
      ],
      [`{ "${long}": 1 }`, /1:3: unknown key "y{100}"… \(899900 more characters\) \(expected /],
      [
        `{ "tasks": ["name=t;${long}=1"] }`,
        /exec spec "name=t;y{93}"… \(899909 more characters\): unknown key "y{100}"…/,
      ],
      [
        `{ "tasks": [{ "name": "t", "${long}": 1 }] }`,
        /tasks\[0\]: unknown key "y{100}"… \(899900 more characters\)/,
      ],
      [`{ "script": "${long}" }`, /: script \/.*y{900}… \(\d+ more characters\): /],
    ];
    for (const [text, pattern] of files) {
      await Deno.writeTextFile(`${dir}/c.jsonc`, text);
      const exit = await runHost(["--socket", `${dir}/rpc.sock`, "--config", `${dir}/c.jsonc`]);
      assert.equal(exit.code, 2, exit.stderr.slice(0, 300));
      const line = exit.stderr.trim();
      assert.equal(line.split("\n").length, 1);
      assert.ok(line.length < 5000, `a bounded line, got ${line.length} characters`);
      assert.match(line, pattern);
    }
  });
});

Deno.test("bounds: RPC errors quote at most 100 characters of a bad name", async () => {
  const host = await startHost(SCRIPT, { exec: ["name=hang"] });
  try {
    const raw = await RawClient.connect(host.socket);
    const huge = "z".repeat(500_000);
    await raw.send(
      request(1, "evrexec.run", [huge]) +
        request(2, huge) +
        request(3, "evrexec.stop", [huge]) +
        request(4, "evrexec.restart", ["hang", huge]) +
        request(5, "evrexec.run", { name: "echo", [huge]: 1 }) +
        request(6, "system.methodHelp", [huge]),
    );
    const answers = await raw.lines(6, 15_000) as { id: number; error: RpcError }[];
    const byId = new Map(answers.map((answer) => [answer.id, answer.error]));
    const cut = /"?z{98,100}"?… \(499\d\d\d more characters\)/;
    const expected: [number, number, RegExp][] = [
      [1, -32602, /unknown function "z{100}"… \(499900 more characters\)/],
      [2, -32601, /method not found: z{100}… \(499900 more characters\)/],
      [3, -32602, /unknown task "z{100}"… \(499900 more characters\)/],
      [4, -32602, /has no worker "z{100}"… \(499900 more characters\)/],
      [5, -32602, /unknown param "z{100}"… \(499900 more characters\)/],
      [6, -32602, /no such method: z{100}… \(499900 more characters\)/],
    ];
    for (const [id, code, pattern] of expected) {
      const error = byId.get(id)!;
      assert.equal(error.code, code, `${id}: ${error.message.slice(0, 300)}`);
      assert.match(error.message, pattern);
      assert.match(error.message, cut);
      assert.ok(error.message.length < SHORT_LINE, `${id}: ${error.message.length} characters`);
    }
    await raw.close();
  } finally {
    await host.cleanup();
  }
});
