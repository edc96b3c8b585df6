// function=: a task names the function it calls apart from its name, so one
// function runs on two schedules (name=beat-fast;function=beat beside
// name=beat-slow;function=beat) without an alias export.
import assert from "node:assert/strict";
import { fixture, runHost, startHost, withHost } from "./helpers/host.ts";

const SEED = fixture("kamailio_seed.ts");

type Task = { name: string; function: string; state: string };

Deno.test(
  "function=: one function on two schedules, each task under its own name",
  withHost(SEED, {
    exec: ["name=beat-fast;function=beat;every=1s", "name=beat-slow;function=beat;every=1h"],
  }, async (host) => {
    await host.waitFor(/evrexec\.beat-fast\.0: beat 0[\s\S]*evrexec\.beat-fast\.0: beat 0/, 20_000);
    assert.equal(host.count(/evrexec\.beat-slow\.0: beat 0/), 0, "the slow one waits its hour");
    const client = await host.client();
    const tasks = await client.call("evrexec.list") as Task[];
    const byName = Object.fromEntries(tasks.map((t) => [t.name, t]));
    assert.equal(byName["beat-fast"].function, "beat");
    assert.equal(byName["beat-slow"].function, "beat");
    await client.call("evrexec.trigger", ["beat-slow"]);
    await host.waitFor(/evrexec\.beat-slow\.0: beat 0/);
  }),
);

Deno.test("function=: a function the script does not export stops start-up, naming both", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-fn-" });
  try {
    const exit = await runHost([
      "--socket",
      `${dir}/rpc.sock`,
      "--exec",
      "name=beat-fast;function=beet;every=1s",
      SEED,
    ]);
    assert.equal(exit.code, 2, exit.stderr);
    const lines = exit.stderr.trim().split("\n");
    assert.equal(lines.length, 1, exit.stderr);
    assert.match(
      lines[0],
      /exec task "beat-fast": function="beet": the script exports no function of that name \(exported functions: .*beat/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("function=: in a config file's task object too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-fn-" });
  try {
    await Deno.writeTextFile(
      `${dir}/evrexec.jsonc`,
      JSON.stringify({
        script: SEED,
        tasks: [{ name: "pulse", function: "beat", every: "1s" }, "name=pulse2;function=beat"],
      }),
    );
    const host = await startHost(null, { args: ["--config", `${dir}/evrexec.jsonc`] });
    try {
      await host.waitFor(/evrexec\.pulse2\.0: beat 0/);
      await host.waitFor(/evrexec\.pulse\.0: beat 0/, 20_000);
    } finally {
      await host.cleanup();
    }
    await Deno.writeTextFile(
      `${dir}/bad.jsonc`,
      JSON.stringify({ script: SEED, tasks: [{ name: "pulse", function: 5 }] }),
    );
    const exit = await runHost(["--socket", `${dir}/rpc.sock`, "--config", `${dir}/bad.jsonc`]);
    assert.equal(exit.code, 2, exit.stderr);
    assert.match(exit.stderr, /tasks\[0\]\.function must be a string, got a number/);
    assert.equal(exit.stderr.trim().split("\n").length, 1, exit.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
