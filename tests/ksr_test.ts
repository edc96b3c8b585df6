// KSR inside workers: logging through the host, $evr and $var.
import assert from "node:assert/strict";
import { fixture, withHost } from "./helpers/host.ts";

const TASKS = fixture("tasks.ts");

Deno.test(
  "ksr: every level reaches the host's log with task and index",
  withHost(TASKS, { exec: ["name=logs;workers=2"] }, async (host) => {
    await host.waitFor(/global same=true/);
    await host.waitFor(/evrexec\.logs\.1: global same=true/);
    const line = (text: string) => host.log.split("\n").find((l) => l.includes(text)) ?? "";
    assert.match(line("info line 0"), /\[INF\] evrexec\.logs\.0: info line 0$/);
    assert.match(line("notice line 1"), /\[INF\] evrexec\.logs\.1: notice line 1$/);
    assert.match(line("warn line 0"), /\[WRN\] evrexec\.logs\.0: warn line 0$/);
    assert.match(line("err line 0"), /\[ERR\] evrexec\.logs\.0: err line 0$/);
    assert.match(line("crit line 0"), /\[FTL\] evrexec\.logs\.0: crit line 0$/);
    assert.match(line("log-info line 0"), /\[INF\] evrexec\.logs\.0: log-info line 0$/);
    assert.match(line("braces"), /braces \{kept\} 0$/);
    assert.match(line("evr data"), /evr data="" srcip=null$/);
    assert.equal(host.count(/dbg line/), 0, "debug records are dropped at level info");
  }),
);

Deno.test(
  "ksr: --log-level debug shows dbg; --log-format json writes one object per line",
  withHost(TASKS, {
    exec: ["name=logs"],
    args: ["--log-level", "debug", "--log-format", "json"],
  }, async (host) => {
    await host.waitFor(/global same=true/);
    const records = host.log.trim().split("\n").map((l) => JSON.parse(l));
    const dbg = records.find((r) => r.message === "dbg line 0");
    assert.ok(dbg, "the dbg record is there");
    assert.equal(dbg.level, "DEBUG");
    assert.equal(dbg.logger, "evrexec.logs.0");
    assert.deepEqual(dbg.properties, { task: "logs", index: 0 });
    assert.ok(!Number.isNaN(Date.parse(dbg["@timestamp"])));
  }),
);

Deno.test(
  "ksr: --log-level error hides info and warnings",
  withHost(TASKS, {
    exec: ["name=logs", "name=other"],
    args: ["--log-level", "error"],
    ready: false,
  }, async (host) => {
    await host.waitFor(/crit line 0/);
    assert.equal(host.count(/info line|warn line|other tick|host ready/), 0, host.log);
    assert.equal(host.count(/err line 0/), 1);
  }),
);

Deno.test(
  "ksr: $var values are private to the worker; unknown pseudo-variables are errors",
  withHost(TASKS, { exec: ["name=vars;workers=2"] }, async (host) => {
    await host.waitFor(/vars v0\/42 after=null unknown=unknown pseudo-variable "\$foo\(bar\)"/);
    await host.waitFor(/vars v1\/42 after=null/);
  }),
);
