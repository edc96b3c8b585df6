// `deno task rpc` reads a PARAM from a file (@PATH) or standard input (-), as curl does, so data too
// big for a command line reaches the function; bounded by the host's line limit (issue 29, item 9).
import assert from "node:assert/strict";
import { fixture, ROOT, withHost } from "./helpers/host.ts";
import { decoded } from "./helpers/clean_env_run.ts";

const RPC = fixture("rpc.ts"); // echo(data): { arg, evr, type }

/** Runs `deno task rpc` with `args`, `input` on its standard input. */
async function rpc(args: string[], input = "") {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "rpc", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input)).catch(() => {}); // it may not read it
  await writer.close().catch(() => {});
  const output = await child.output();
  return decoded(output);
}

/** 800 KB of text that no shell would take as one argument (the limit is 128 KiB). */
function bigText(): string {
  let text = "";
  for (let i = 0; text.length < 800_000; i++) text += `line ${i}: ünïcödé and "quotes"\n`;
  return text;
}

Deno.test(
  "client params: an 800 KB parameter via @file and via stdin reaches the function",
  withHost(RPC, {}, async (host) => {
    const text = bigText();
    const file = `${host.dir}/data.txt`;
    await Deno.writeTextFile(file, text);
    const viaFile = await rpc(["-s", host.socket, "--json", "evrexec.run", "echo", `@${file}`]);
    assert.equal(viaFile.code, 0, viaFile.stderr);
    assert.equal(JSON.parse(viaFile.stdout).result.arg, text);
    const viaStdin = await rpc(["-s", host.socket, "--json", "evrexec.run", "echo", "-"], text);
    assert.equal(viaStdin.code, 0, viaStdin.stderr);
    assert.equal(JSON.parse(viaStdin.stdout).result.arg, text);
    console.log(`${new TextEncoder().encode(text).length} bytes via @file and via stdin: whole`);
    // j:@PATH sends the JSON the file holds; s: sends a leading @ or a dash as it is.
    await Deno.writeTextFile(`${host.dir}/data.json`, '{"n": [1, 2]}');
    const json = await rpc([
      "-s",
      host.socket,
      "--json",
      "evrexec.run",
      "echo",
      `j:@${host.dir}/data.json`,
    ]);
    assert.equal(JSON.parse(json.stdout).result.arg, '{"n":[1,2]}', json.stderr);
    const literal = await rpc(["-s", host.socket, "--json", "evrexec.run", "echo", "s:@notes"]);
    assert.equal(JSON.parse(literal.stdout).result.arg, "@notes", literal.stderr);
  }),
);

Deno.test(
  "client params: a missing file, over 1 MiB, not UTF-8 or stdin twice is one line and exit 2",
  withHost(RPC, {}, async (host) => {
    const big = `${host.dir}/big.txt`;
    await Deno.writeTextFile(big, "x".repeat((1 << 20) + 1));
    const binary = `${host.dir}/binary.bin`;
    await Deno.writeFile(binary, new Uint8Array([0xff, 0xfe, 0x00]));
    const nearly = `${host.dir}/nearly.txt`;
    await Deno.writeTextFile(nearly, "\n".repeat(600_000)); // 600 KB, but 1.2 MB as JSON
    const cases: [string[], string][] = [
      [[`@${host.dir}/none.txt`], `param "@${host.dir}/none.txt": cannot read it: no such file`],
      [[`@${big}`], `param "@${big}": over 1048576 bytes (1 MiB, the host's line limit)`],
      [[`@${binary}`], `param "@${binary}": not valid UTF-8`],
      [["-", "-"], `param "-": standard input is read once; give the other as @PATH`],
      [["@"], `param "@": @ must be followed by a path`],
      [
        [`@${nearly}`],
        "the request is 1200068 bytes as JSON, over the host's line limit of 1048576 bytes (1 MiB)",
      ],
    ];
    for (const [params, message] of cases) {
      const run = await rpc(["-s", host.socket, "evrexec.run", "echo", ...params], "in");
      assert.deepEqual([run.code, run.stdout, run.stderr], [2, "", `evrexec-rpc: ${message}\n`]);
    }
    const tooBig = await rpc(["-s", host.socket, "evrexec.run", "echo", "-"], "y".repeat(1 << 21));
    assert.equal(tooBig.code, 2);
    assert.equal(
      tooBig.stderr,
      `evrexec-rpc: param "-" (standard input): over 1048576 bytes (1 MiB, the host's line limit)\n`,
    );
    assert.equal(host.count(/line longer than/), 0);
  }),
);
