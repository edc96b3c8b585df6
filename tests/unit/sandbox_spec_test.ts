// The sandbox keys (isolation, heap, allow-*), --rpc-pool and --worker-heap:
// what they parse to, and the one-line error of every bad value.
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { parseExecSpec } from "../../src/config/exec_spec.ts";
import { readHeap, resolveSandbox } from "../../src/config/sandbox.ts";
import { parsePoolSpec, poolSize } from "../../src/config/pool_spec.ts";
import { ConfigError } from "../../src/base/errors.ts";

const sandbox = (spec: string) => parseExecSpec(`name=t;${spec}`).sandbox;

Deno.test("sandbox keys: isolation, heap and every allow-* kind parse to what they name", () => {
  assert.equal(parseExecSpec("name=t").sandbox, undefined, "no key: no sandbox");
  assert.deepEqual(sandbox("isolation=process;heap=64"), {
    isolation: "process",
    heapMiB: 64,
    permissions: null,
  });
  assert.deepEqual(
    sandbox(
      "isolation=process;allow-read=/srv,rel/dir;allow-write=*;allow-net=api.internal:443,[::1]:80," +
        "10.0.0.1;allow-env=HOME,AWS_*;allow-run=curl,/bin/ls;allow-sys=hostname,cpus;" +
        "allow-ffi=/lib/x.so;allow-import=jsr.io,esm.sh:443",
    )?.permissions,
    {
      read: ["/srv", resolve("rel/dir")],
      write: "*",
      net: ["api.internal:443", "[::1]:80", "10.0.0.1"],
      env: ["HOME", "AWS_*"],
      run: ["curl", "/bin/ls"],
      sys: ["hostname", "cpus"],
      ffi: ["/lib/x.so"],
      import: ["jsr.io", "esm.sh:443"],
    },
  );
  assert.deepEqual(sandbox("ALLOW-READ=/srv;Heap=0")?.heapMiB, 0, "keys are case-insensitive");
});

Deno.test("sandbox keys: --worker-heap applies unless heap= says; a thread with permissions is uncapped", () => {
  assert.equal(resolveSandbox(undefined, 256).heapMiB, 256);
  assert.equal(resolveSandbox(sandbox("heap=64"), 256).heapMiB, 64);
  assert.equal(resolveSandbox(sandbox("heap=0"), 256).heapMiB, 0);
  assert.equal(resolveSandbox(sandbox("allow-read=/srv"), 256).heapMiB, 0);
  assert.equal(resolveSandbox(sandbox("isolation=process;allow-read=/srv"), 256).heapMiB, 256);
  assert.equal(resolveSandbox(undefined, 0).isolation, "thread");
});

const BAD_SPECS: [string, string][] = [
  ["heap=abc", 'heap must be 0 (no cap) or an integer from 16 to 65536 (MiB), got "abc"'],
  ["heap=8", 'heap must be 0 (no cap) or an integer from 16 to 65536 (MiB), got "8"'],
  ["heap=70000", 'heap must be 0 (no cap) or an integer from 16 to 65536 (MiB), got "70000"'],
  ["heap=-1", 'heap must be 0 (no cap) or an integer from 16 to 65536 (MiB), got "-1"'],
  ["isolation=vm", 'isolation must be one of thread, process, shared, got "vm"'],
  [
    "allow-read=",
    'allow-read needs * or a comma list of paths, got "" (an empty item is not allowed, as in Deno)',
  ],
  [
    "allow-write=/a,,/b",
    'allow-write needs * or a comma list of paths, got "/a,,/b" (an empty item is not allowed, as in Deno)',
  ],
  [
    "allow-net=host:99999",
    'allow-net: "host:99999" is not valid (expected * or a comma list of HOST or HOST:PORT items)',
  ],
  [
    "allow-net=host:0",
    'allow-net: "host:0" is not valid (expected * or a comma list of HOST or HOST:PORT items)',
  ],
  [
    "allow-net=http://host",
    'allow-net: "http://host" is not valid (expected * or a comma list of HOST or HOST:PORT items)',
  ],
  ["allow-env=A=B", 'allow-env: "A=B" is not valid (expected * or a comma list of variable names)'],
  [
    "allow-run=a b",
    'allow-run: "a b" is not valid (expected * or a comma list of program names or paths)',
  ],
  [
    "allow-sys=inspector",
    'allow-sys: "inspector" is not valid (expected * or a comma list of sys kinds (hostname, osRelease, osUptime, loadavg, networkInterfaces, systemMemoryInfo, uid, gid, cpus, homedir, getegid, statfs, getPriority, setPriority, userInfo, username))',
  ],
  [
    "allow-ffi=",
    'allow-ffi needs * or a comma list of paths, got "" (an empty item is not allowed, as in Deno)',
  ],
  [
    "isolation=process;allow-import=a b",
    'allow-import: "a b" is not valid (expected * or a comma list of HOST or HOST:PORT items)',
  ],
  [
    "allow-import=jsr.io",
    "allow-import cannot be enforced in a thread (Deno 2 checks a worker's remote imports against the host's permissions): use isolation=process",
  ],
  [
    "allow-read=/srv;heap=64",
    "heap= and allow-* keys cannot be combined in a thread (Deno caps the heap only of node:worker_threads workers, which ignore worker permissions): use isolation=process",
  ],
  ["allow-read=/a;allow-read=/b", 'key "allow-read" given twice'],
];

Deno.test("sandbox keys: every bad value is one line naming the spec and the key", () => {
  for (const [items, problem] of BAD_SPECS) {
    const spec = `name=t;${items}`;
    assert.throws(() => parseExecSpec(spec), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, `exec spec ${JSON.stringify(spec)}: ${problem}`);
      assert.ok(!error.message.includes("\n"));
      return true;
    }, spec);
  }
});

Deno.test("--rpc-pool: workers and sandbox keys; --rpc-workers is its shorthand, not both", () => {
  const pool = parsePoolSpec("workers=4;isolation=process;heap=256;allow-net=api.internal:443");
  assert.deepEqual(pool, {
    workers: 4,
    sandbox: { isolation: "process", heapMiB: 256, permissions: { net: ["api.internal:443"] } },
  });
  assert.equal(parsePoolSpec("heap=64").workers, null);
  assert.equal(poolSize(undefined, null), undefined, "neither says: the default applies later");
  assert.equal(poolSize(3, null), 3);
  assert.equal(poolSize(undefined, pool), 4);
  assert.equal(poolSize(3, parsePoolSpec("heap=64")), 3);
  assert.throws(
    () => poolSize(3, pool),
    /^ConfigError: --rpc-workers and --rpc-pool workers= both set the pool's size: give one of them$/,
  );
  const bad: [string, string][] = [
    ["", "empty spec"],
    ["workers=0", 'workers must be an integer from 1 to 256, got "0"'],
    [
      "name=x",
      'unknown key "name" (expected workers, isolation, group, heap, allow-read, allow-write, allow-net, allow-env, allow-run, allow-sys, allow-ffi, allow-import)',
    ],
    ["heap=1", 'heap must be 0 (no cap) or an integer from 16 to 65536 (MiB), got "1"'],
    ["workers", 'item "workers" is not key=value'],
  ];
  for (const [spec, problem] of bad) {
    assert.throws(() => parsePoolSpec(spec), (error: Error) => {
      assert.equal(error.message, `--rpc-pool ${JSON.stringify(spec)}: ${problem}`);
      return true;
    });
  }
});

Deno.test("--worker-heap: 0 or 16 to 65536 MiB", () => {
  assert.equal(readHeap("--worker-heap", "0"), 0);
  assert.equal(readHeap("--worker-heap", "512"), 512);
  for (const bad of ["", "x", "15", "65537", "1.5"]) {
    assert.throws(
      () => readHeap("--worker-heap", bad),
      new RegExp(
        `^ConfigError: --worker-heap must be 0 \\(no cap\\) or an integer from 16 to 65536 \\(MiB\\), got ${
          JSON.stringify(bad).replace(".", "\\.")
        }$`,
      ),
    );
  }
});
