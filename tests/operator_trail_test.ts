// The operator's trail in the log (issue 21, item 12): control operations are logged at
// info with what they did; an evrexec.run that throws is logged at debug (function,
// duration, error) and counted; reloads asked for while one runs (SIGHUP, RPC) are
// coalesced into one more, logged once.
import assert from "node:assert/strict";
import { fixture, sleep, startHost, withHost } from "./helpers/host.ts";

const SCRIPT = fixture("operator.ts");
const SLOW = { OPERATOR_LOAD_MS: "800" }; // each load of the script, so each reload, takes 0.8 s

Deno.test(
  "operator trail: stop, start, restart, trigger and reload are logged at info with what they did",
  withHost(SCRIPT, { exec: ["name=idle;workers=2", "name=tick;every=1h"] }, async (host) => {
    await host.waitFor(/task idle: all 2 workers running/);
    const lines: [string, unknown[], RegExp][] = [
      ["evrexec.stop", ["idle"], /evrexec\.stop "idle": stopped 2 of 2; the task is stopped/],
      ["evrexec.start", ["idle"], /evrexec\.start "idle": started 2 of 2; the task is active/],
      [
        "evrexec.restart",
        ["idle", 1],
        /evrexec\.restart "idle" worker 1: restarted 1; the task is active/,
      ],
      [
        "evrexec.trigger",
        ["tick"],
        /evrexec\.trigger "tick": ticks worker 0 started; the task is active/,
      ],
      ["evrexec.reload", [], /reloaded file:\S+operator\.ts \(version 2\)/],
    ];
    for (const [method, params, pattern] of lines) {
      await host.call(method, params);
      await host.waitFor(new RegExp(`\\[INF\\] evrexec(\\.rpc)?: ${pattern.source}`));
    }
  }),
);

Deno.test(
  "operator trail: a run that throws is logged at debug with function, duration and error, and counted",
  withHost(SCRIPT, { args: ["--log-level", "debug"] }, async (host) => {
    for (const data of ["x", "y"]) {
      await assert.rejects(host.call("evrexec.run", ["fails", data]), /refused: /);
    }
    await host.waitFor(
      /\[DBG\] evrexec\.rpc: evrexec\.run fails failed after \d+ ms: refused: x\n[\s\S]*evrexec\.run fails failed after \d+ ms: refused: y/,
    );
    assert.deepEqual(
      await host.call("stats.get_statistics", ["evrexec:run_errors", "function:fails-errors"]),
      ["evrexec:run_errors = 2", "function:fails-errors = 2"],
    );
  }),
);

Deno.test("operator trail: 200 SIGHUPs during a reload make one more reload, logged once", async () => {
  const host = await startHost(SCRIPT, { exec: ["name=idle"], env: SLOW });
  try {
    host.process.kill("SIGHUP");
    await host.waitFor(/SIGHUP received; reloading the script/);
    for (let i = 1; i < 200; i++) {
      host.process.kill("SIGHUP");
      if (i % 20 === 0) await sleep(1);
    }
    await host.waitFor(/reloaded \S+ \(version 3\)/, 30_000);
    await sleep(2000); // no third reload follows
    const counts = {
      reloads: host.count(/\] evrexec: reloaded /),
      coalesced: host.count(/a reload is running already; one more follows it/),
      errors: host.count(/\[ERR\]/),
      busy: host.count(/busy/),
    };
    console.log(`200 SIGHUPs: ${JSON.stringify(counts)}`);
    assert.deepEqual(counts, { reloads: 2, coalesced: 1, errors: 0, busy: 0 });
    assert.equal(host.count(/SIGHUP received; reloading/), 1);
  } finally {
    await host.cleanup();
  }
});

Deno.test("operator trail: evrexec.reload during a reload answers the one that follows", async () => {
  const host = await startHost(SCRIPT, { exec: ["name=idle"], env: SLOW });
  try {
    const first = host.call("evrexec.reload");
    await sleep(100);
    const [second, third] = [host.call("evrexec.reload"), host.call("evrexec.reload")];
    const versions = (await Promise.all([first, second, third]))
      .map((report) => (report as { version: number }).version);
    assert.deepEqual(versions, [2, 3, 3]);
    assert.equal(host.count(/a reload is running already/), 1);
  } finally {
    await host.cleanup();
  }
});

Deno.test("operator trail: a SIGHUP during start-up neither ends the host nor is lost", async () => {
  const host = await startHost(SCRIPT, {
    exec: ["name=idle"],
    env: { OPERATOR_LOAD_MS: "1500" },
    args: ["--log-level", "debug"],
    ready: false,
  });
  try {
    await host.waitFor(/Deno's inspector runs on port/); // the signal listeners come next
    await sleep(200);
    host.process.kill("SIGHUP");
    host.process.kill("SIGHUP");
    await host.waitFor(/SIGHUP received during start-up; reloading once ready/);
    await host.waitFor(/host ready/);
    await host.waitFor(/reloaded file:\S+operator\.ts \(version 2\)/, 20_000);
    assert.equal(host.count(/SIGHUP received during start-up/), 1);
    const [idle] = await host.call("evrexec.list") as { name: string; state: string }[];
    assert.equal(idle.state, "active");
  } finally {
    await host.cleanup();
  }
});
