// A process worker's launch: exactly its sandbox's permissions as deno flags,
// its heap cap as a V8 flag, its inspector parked, and only the environment
// allow-env names.
import assert from "node:assert/strict";
import { childLaunch, type LaunchContext } from "../../src/spawn/child_launch.ts";
import type { Sandbox } from "../../src/config/sandbox.ts";

const NONE = {
  read: false,
  write: false,
  net: false,
  env: false,
  run: false,
  sys: false,
  ffi: false,
  import: false,
};
const context = (grants: Partial<typeof NONE> = {}): LaunchContext => ({
  entry: "file:///app/src/worker/process_main.ts",
  reads: ["/app/src/worker/main.ts", "/srv/script.ts"],
  hostGrants: { ...NONE, ...grants },
  hostEnv: { HOME: "/root", PATH: "/usr/bin", AWS_KEY: "k", AWS_REGION: "r", SECRET: "s" },
  denoDir: "/root/.cache/deno",
});
const sandbox = (permissions: Sandbox["permissions"], heapMiB = 0): Sandbox => ({
  isolation: "process",
  heapMiB,
  permissions,
});
// The inspector parked where no TCP connect reaches it: SIGUSR1 opens no debugger in the child.
const FIXED = [
  "run",
  "--quiet",
  "--no-prompt",
  "--inspect=127.255.255.255:0",
  "--inspect-publish-uid=http",
];

Deno.test("child launch: named permissions as flags, module reads added, the rest denied", () => {
  const { args, env } = childLaunch(
    sandbox({ read: ["/data"], net: ["api:443"], env: ["AWS_*"] }, 64),
    context({ read: true, net: true, env: true, run: true }),
  );
  assert.deepEqual(args, [
    ...FIXED,
    "--v8-flags=--max-old-space-size=64",
    "--allow-read=/data,/app/src/worker/main.ts,/srv/script.ts",
    "--allow-net=api:443",
    "--allow-env=AWS_*",
    "--deny-import",
    "file:///app/src/worker/process_main.ts",
    String(Deno.pid),
  ]);
  assert.deepEqual(env, { AWS_KEY: "k", AWS_REGION: "r", DENO_DIR: "/root/.cache/deno" });
});

Deno.test("child launch: * is the whole kind; allow-run brings PATH to find programs", () => {
  const { args, env } = childLaunch(
    sandbox({ read: "*", run: ["curl"], env: ["HOME"] }),
    context({ read: true }),
  );
  assert.deepEqual(args, [
    ...FIXED,
    "--allow-read",
    "--allow-env=HOME",
    "--allow-run=curl",
    "--deny-import",
    "file:///app/src/worker/process_main.ts",
    String(Deno.pid),
  ]);
  assert.deepEqual(env, { HOME: "/root", PATH: "/usr/bin", DENO_DIR: "/root/.cache/deno" });
});

Deno.test("child launch: no allow-* key: the kinds the host holds in full, and its environment", () => {
  const { args, env } = childLaunch(
    sandbox(null, 256),
    context({ read: true, write: true, net: true, env: true }),
  );
  assert.deepEqual(args, [
    ...FIXED,
    "--v8-flags=--max-old-space-size=256",
    "--allow-read",
    "--allow-write",
    "--allow-net",
    "--allow-env",
    "file:///app/src/worker/process_main.ts",
    String(Deno.pid),
  ]);
  assert.equal(env.SECRET, "s");
  const partial = childLaunch(sandbox(null), context({ net: true }));
  assert.deepEqual(partial.args.slice(FIXED.length, FIXED.length + 2), [
    "--allow-read=/app/src/worker/main.ts,/srv/script.ts",
    "--allow-net",
  ]);
  assert.deepEqual(partial.env, { DENO_DIR: "/root/.cache/deno" }, "no env grant: no variable");
});
