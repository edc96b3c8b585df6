// Reload with a config file: evrexec.reload and SIGHUP read the file again and apply
// the difference of the task set; a broken file keeps everything and answers -32003.
import assert from "node:assert/strict";
import type { RpcError } from "../src/rpc/errors.ts";
import { fixture, startHost, type TestHost } from "./helpers/host.ts";

const SCRIPT = fixture("operate.ts");

type Worker = { index: number; started: string; state: string };
type Task = { name: string; state: string; spec: string; workers: Worker[] };
type Report = {
  added_tasks: string[];
  removed_tasks: string[];
  changed_tasks: string[];
  restarted_tasks: string[];
  kept_tasks: string[];
  needs_restart: string[];
  config: string;
};

function config(tasks: string[], extra = ""): string {
  return `{
  "script": "${SCRIPT}",
  // the tasks of this version
  "tasks": [${tasks.map((t) => `\n    ${t}`).join(",")}
  ],
  "shutdown-timeout": 2000,${extra}
}
`;
}

async function tasks(host: TestHost): Promise<Task[]> {
  return await host.call("evrexec.list") as Task[];
}

async function failure(promise: Promise<unknown>): Promise<RpcError> {
  return await promise.then(() => assert.fail("must fail"), (error) => error as RpcError);
}

Deno.test("config reload: tasks added start, removed stop, changed restart, unchanged keep their workers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-config-reload-" });
  const path = `${dir}/evrexec.jsonc`;
  await Deno.writeTextFile(path, config(['"name=alpha"', '"name=beta"', '{ "name": "gamma" }']));
  const host = await startHost(null, { args: ["--config", path] });
  try {
    await host.waitFor(/gamma up index=0/);
    await host.waitFor(/beta up index=0/);
    await host.waitFor(/alpha up index=0/);
    const before = await tasks(host);
    const alphaStarted = before[0].workers[0].started;

    // Remove beta, change gamma (two workers now), add tick; alpha is written otherwise but says the same.
    await Deno.writeTextFile(
      path,
      config(
        [
          '{ "name": "alpha", "workers": 1 }',
          '{ "name": "gamma", "workers": 2 }',
          '"name=tick;every=200ms"',
        ],
        '\n  "rpc-workers": 3,\n  "socket-mode": "0660",',
      ),
    );
    const report = await host.call("evrexec.reload") as Report;
    assert.deepEqual(
      [report.added_tasks, report.removed_tasks, report.changed_tasks, report.kept_tasks],
      [["tick"], ["beta"], ["gamma"], ["alpha"]],
    );
    assert.deepEqual(report.restarted_tasks, []);
    assert.deepEqual(report.needs_restart, ["socket-mode"]);
    assert.equal(report.config, path);
    await host.waitFor(/beta down index=0/);
    await host.waitFor(/gamma up index=1/);
    await host.waitFor(/tick index=0/);
    await host.waitFor(/--socket-mode changed; it needs a restart/);

    const after = await tasks(host);
    assert.deepEqual(after.map((t) => t.name), ["alpha", "gamma", "tick"]);
    assert.equal(after[0].workers[0].started, alphaStarted, "alpha kept its worker");
    assert.equal(after[1].workers.length, 2);
    assert.equal(host.count(/alpha up index=0/), 1, "alpha was not restarted");
    const psx = await host.call("core.psx") as { task: string; role: string }[];
    assert.ok(!psx.some((row) => row.task === "beta"), "beta's slot left the worker states");
    assert.equal(psx.filter((row) => row.role === "rpc").length, 3, "rpc-workers applies");
    const stats = await host.call("stats.get_statistics", ["task:"]) as string[];
    assert.ok(stats.some((line) => line.startsWith("task:tick-starts = ")), stats.join("\n"));
    assert.ok(!stats.some((line) => line.startsWith("task:beta-")), stats.join("\n"));
    const control = await failure(host.call("evrexec.start", ["beta"]));
    assert.match(control.message, /unknown task "beta" \(tasks: alpha, gamma, tick\)/);

    // Back again: beta comes back under its name, with a fresh worker.
    await Deno.writeTextFile(path, config(['"name=alpha"', '"name=beta"']));
    const again = await host.call("evrexec.reload") as Report;
    assert.deepEqual([again.added_tasks, again.removed_tasks], [["beta"], ["gamma", "tick"]]);
    await host.waitFor(/gamma down index=1/);
    const ticks = host.count(/tick index=0/);
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(host.count(/tick index=0/), ticks, "a removed timer task ticks no more");
    await host.waitFor(/(beta up index=0[\s\S]*){2}/);
  } finally {
    await host.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config reload: a broken file answers -32003 naming file:line and keeps the old set", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-config-reload-" });
  const path = `${dir}/evrexec.jsonc`;
  await Deno.writeTextFile(path, config(['"name=alpha"', '"name=beta"']));
  const host = await startHost(null, { args: ["--config", path] });
  try {
    await host.waitFor(/beta up index=0/);
    const names = async () => (await tasks(host)).map((t) => t.name);

    await Deno.writeTextFile(
      path,
      config(['"name=alpha"', '"name=gamma"']).replace('",\n  //', '"\n  //'),
    );
    const syntax = await failure(host.call("evrexec.reload"));
    assert.equal(syntax.code, -32003);
    assert.match(
      syntax.message,
      /^reload failed, the running version is kept: \S+evrexec\.jsonc:4:3: syntax error: comma expected$/,
    );
    assert.deepEqual(await names(), ["alpha", "beta"]);

    await Deno.writeTextFile(
      path,
      config(['"name=alpha"', '"name=gamma"'], '\n  "rpc-wrokers": 3,'),
    );
    const key = await failure(host.call("evrexec.reload"));
    assert.equal(key.code, -32003);
    assert.match(key.message, /evrexec\.jsonc:9:3: unknown key "rpc-wrokers"/);
    assert.deepEqual(await names(), ["alpha", "beta"]);

    await Deno.writeTextFile(path, config(['"name=alpha"', '"name=alpha;workers=2"']));
    const twice = await failure(host.call("evrexec.reload"));
    assert.match(twice.message, /evrexec\.jsonc:6:5: exec task "alpha" is given twice/);

    await Deno.writeTextFile(path, config(['"name=alpha"', '"name=missing"']));
    const missing = await failure(host.call("evrexec.reload"));
    assert.match(missing.message, /exec task "missing": the script exports no function/);
    assert.deepEqual(await names(), ["alpha", "beta"]);

    await Deno.writeTextFile(
      path,
      config(['"name=alpha"', '{ "name": "beta", "allow-run": "ls" }']),
    );
    const sandbox = await failure(host.call("evrexec.reload"));
    assert.equal(sandbox.code, -32003);
    assert.equal(
      sandbox.message,
      'reload failed, the running version is kept: exec task "beta": allow-run=ls asks for more ' +
        "than the host holds: a worker cannot be given a permission its host lacks (start the " +
        "host with --allow-run=ls or more)",
    );

    await Deno.writeTextFile(path, config(['"name=alpha"', '"name=missing"']));
    host.process.kill("SIGHUP");
    await host.waitFor(/reload failed, the running version is kept: exec task "missing"/);
    assert.deepEqual(await names(), ["alpha", "beta"]);
    assert.equal(host.count(/beta down/), 0, "no task was touched");
    assert.equal((await tasks(host))[1].state, "active");
  } finally {
    await host.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});
