// --config FILE: tasks and options from a JSONC file, flags over it, --exec added to it;
// every mistake is one line naming the file, line and column, and exit 2.
import assert from "node:assert/strict";
import { fixture, ROOT, runHost, startHost } from "./helpers/host.ts";

const SCRIPT = fixture("operate.ts");

type Task = { name: string; state: string; spec: string; workers: { state: string }[] };

async function tempFile(text: string): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-config-" });
  const path = `${dir}/evrexec.jsonc`;
  await Deno.writeTextFile(path, text);
  return { dir, path };
}

Deno.test("config: a file with three tasks starts them; flags override it, --exec adds to it", async () => {
  const { dir, path } = await tempFile(`{
  // the fixture, relative to this file
  "script": "${SCRIPT}",
  "tasks": [
    "name=alpha;workers=2",
    { "name": "beta", "restart": "on-failure", "wait": 1000 },
    { "name": "tick", "every": "200ms", "overlap": "skip" }, // a timer, by its object form
  ],
  "rpc-workers": 3,
  "shutdown-timeout": 2000,
}
`);
  const host = await startHost(null, {
    args: ["--config", path, "--rpc-workers", "1"],
    exec: ["name=gamma"],
  });
  try {
    await host.waitFor(/alpha up index=1/);
    await host.waitFor(/beta up index=0/);
    await host.waitFor(/gamma up index=0/);
    await host.waitFor(/tick index=0/);
    const tasks = await host.call("evrexec.list") as Task[];
    assert.deepEqual(tasks.map((t) => t.name), ["alpha", "beta", "tick", "gamma"]);
    assert.deepEqual(tasks.map((t) => t.workers.length), [2, 1, 1, 1]);
    assert.equal(tasks[1].spec, "name=beta;restart=on-failure;wait=1000");
    const pool = (await host.call("core.psx") as { role: string }[]).filter((r) =>
      r.role === "rpc"
    );
    assert.equal(pool.length, 1, "--rpc-workers 1 on the command line wins over the file's 3");
  } finally {
    await host.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config: the shipped examples/evrexec.jsonc starts the bundled examples", async () => {
  const host = await startHost(null, { args: ["--config", `${ROOT}examples/evrexec.jsonc`] });
  try {
    await host.waitFor(/timer worker 0: count 1/);
    const names = (await host.call("evrexec.list") as Task[]).map((t) => t.name);
    assert.ok(names.includes("evrexec:timer") && names.includes("heartbeat"), names.join(", "));
    assert.equal(await host.call("evrexec.run", ["hello", "operator"]), "hello, operator");
  } finally {
    await host.cleanup();
  }
});

const MISTAKES: [string, string, RegExp][] = [
  [
    "a syntax error",
    `{\n  "script": "${SCRIPT}",\n  "tasks": ["name=alpha"]\n  "rpc-workers": 2\n}\n`,
    /^evrexec-deno: \S+evrexec\.jsonc:4:3: syntax error: comma expected$/,
  ],
  [
    "an unknown key",
    `{\n  "script": "${SCRIPT}",\n  "rpc_workers": 2\n}\n`,
    /^evrexec-deno: \S+evrexec\.jsonc:3:3: unknown key "rpc_workers" \(expected script, tasks, socket,/,
  ],
  [
    "a wrong type",
    `{\n  "script": "${SCRIPT}",\n  "rpc-workers": "2"\n}\n`,
    /^evrexec-deno: \S+evrexec\.jsonc:3:18: "rpc-workers" must be a number, got a string$/,
  ],
  [
    "a value out of range",
    `{\n  "script": "${SCRIPT}",\n  "rpc-timeout": 0\n}\n`,
    /^evrexec-deno: \S+evrexec\.jsonc:3:18: rpc-timeout must be an integer from 1 to 86400000, got "0"$/,
  ],
  [
    "a bad spec in a string",
    `{\n  "script": "${SCRIPT}",\n  "tasks": [\n    "name=alpha;wiat=5"\n  ]\n}\n`,
    /^evrexec-deno: \S+evrexec\.jsonc:4:5: tasks\[0\]: exec spec "name=alpha;wiat=5": unknown key "wiat"/,
  ],
  [
    "a bad key in a task object",
    `{\n  "script": "${SCRIPT}",\n  "tasks": [{ "name": "alpha", "workers": 5000 }]\n}\n`,
    /^evrexec-deno: \S+evrexec\.jsonc:3:43: tasks\[0\]: workers must be an integer from 0 to 1024, got "5000"$/,
  ],
  [
    "a bad rpc-pool",
    `{\n  "script": "${SCRIPT}",\n  "rpc-pool": "isolation=fork"\n}\n`,
    /^evrexec-deno: \S+evrexec\.jsonc:3:15: rpc-pool "isolation=fork": isolation must be one of thread, process, shared, got "fork"$/,
  ],
  [
    "a task object's heap under the least cap",
    `{\n  "script": "${SCRIPT}",\n  "tasks": [{ "name": "alpha", "heap": 8 }]\n}\n`,
    /^evrexec-deno: \S+evrexec\.jsonc:3:40: tasks\[0\]: heap must be 0 \(no cap\) or an integer from 16 to 65536 \(MiB\), got "8"$/,
  ],
  [
    "a worker-heap of the wrong type",
    `{\n  "script": "${SCRIPT}",\n  "worker-heap": "256"\n}\n`,
    /^evrexec-deno: \S+evrexec\.jsonc:3:18: "worker-heap" must be a number, got a string$/,
  ],
  [
    "a duplicate task name",
    `{\n  "script": "${SCRIPT}",\n  "tasks": [\n    "name=alpha",\n    { "name": "alpha", "workers": 2 }\n  ]\n}\n`,
    /^evrexec-deno: \S+evrexec\.jsonc:5:5: exec task "alpha" is given twice \(first at \S+evrexec\.jsonc:4:5\); a task's name is its identity$/,
  ],
  [
    "a missing script",
    `{ "tasks": ["name=alpha"] }`,
    /^evrexec-deno: missing SCRIPT: give it after the options or as "script" in \S+evrexec\.jsonc$/,
  ],
];

for (const [what, text, pattern] of MISTAKES) {
  Deno.test(`config: ${what} stops start-up with exit 2 and one line`, async () => {
    const { dir, path } = await tempFile(text);
    try {
      const exit = await runHost(["--socket", `${dir}/s.sock`, "--config", path]);
      assert.equal(exit.code, 2, exit.stderr);
      assert.equal(exit.stderr.trim().split("\n").length, 1, exit.stderr);
      assert.match(exit.stderr.trim(), pattern);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("config: a missing file, and a task given twice by --exec, are one line and exit 2", async () => {
  const missing = await runHost(["--config", "/nonexistent/evrexec.jsonc"]);
  assert.equal(missing.code, 2);
  assert.equal(
    missing.stderr.trim(),
    "evrexec-deno: config file not found: /nonexistent/evrexec.jsonc",
  );
  const twice = await runHost(["--exec", "name=alpha", "--exec", "name=alpha;workers=2", SCRIPT]);
  assert.equal(twice.code, 2);
  assert.equal(
    twice.stderr.trim(),
    'evrexec-deno: --exec "name=alpha;workers=2": exec task "alpha" is given twice ' +
      "(first by --exec); a task's name is its identity",
  );
});
