// The new options and spec keys at the command line: each bad value stops
// start-up with exit 2 and one line (the full list of lines is in
// tests/unit/sandbox_spec_test.ts).
import assert from "node:assert/strict";
import { fixture, runHost } from "./helpers/host.ts";

const SCRIPT = fixture("sandbox.ts");

Deno.test("sandbox options: a bad --worker-heap, --rpc-pool or sandbox key is exit 2 and one line", async () => {
  const cases: [string[], string][] = [
    [
      ["--worker-heap", "12"],
      '--worker-heap must be 0 (no cap) or an integer from 16 to 65536 (MiB), got "12"',
    ],
    [
      ["--rpc-pool", "workers=2;isolation=fork"],
      '--rpc-pool "workers=2;isolation=fork": isolation must be one of thread, process, shared, got "fork"',
    ],
    [
      ["--rpc-workers", "2", "--rpc-pool", "workers=3"],
      "--rpc-workers and --rpc-pool workers= both set the pool's size: give one of them",
    ],
    [
      ["--exec", "name=probe;heap=8"],
      'exec spec "name=probe;heap=8": heap must be 0 (no cap) or an integer from 16 to 65536 (MiB), got "8"',
    ],
    [
      ["--exec", "name=probe;allow-net=a:70000;isolation=process"],
      'exec spec "name=probe;allow-net=a:70000;isolation=process": allow-net: "a:70000" is not valid (expected * or a comma list of HOST or HOST:PORT items)',
    ],
    [
      ["--exec", "name=probe;allow-import=jsr.io"],
      "exec spec \"name=probe;allow-import=jsr.io\": allow-import cannot be enforced in a thread (Deno 2 checks a worker's remote imports against the host's permissions): use isolation=process",
    ],
  ];
  await Promise.all(cases.map(async ([args, line]) => {
    const exit = await runHost([...args, SCRIPT]);
    assert.equal(exit.code, 2, exit.stderr);
    assert.equal(exit.stderr.trim(), `evrexec-deno: ${line}`);
  }));
});
