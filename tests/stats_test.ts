// Statistics after a known sequence of calls: stats.* in Kamailio's form and
// the same counters on /metrics (checked by a parser of the text format and,
// where installed, by promtool).
import assert from "node:assert/strict";
import { dgramExchange } from "./helpers/dgram_client.ts";
import { fixture, sleep, type TestHost, withHost } from "./helpers/host.ts";
import { parsePromText, sampleValue } from "./helpers/prom_text.ts";
import { RawClient } from "./helpers/raw.ts";
import type { RpcClient } from "../src/client/client.ts";

const OBSERVE = fixture("observe.ts");

async function stats(c: RpcClient, ...names: string[]): Promise<Map<string, number>> {
  const lines = await c.call("stats.get_statistics", names) as string[];
  return new Map(lines.map((line) => {
    const match = /^(\S+) = (-?\d+)$/.exec(line);
    assert.ok(match, `Kamailio's form: ${line}`);
    return [match[1], Number(match[2])];
  }));
}

async function metricsText(host: TestHost): Promise<string> {
  const [, port] = await host.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/);
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return await response.text();
}

async function promtool(text: string): Promise<{ code: number; output: string } | null> {
  try {
    const child = new Deno.Command("promtool", {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(text));
    await writer.close();
    const { code, stdout, stderr } = await child.output();
    const decoder = new TextDecoder();
    return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

Deno.test(
  "stats: the counters after a known sequence of calls, in stats.* and on /metrics",
  withHost(OBSERVE, {
    exec: [
      "name=steady;workers=2",
      "name=quick",
      "name=crash;restart=always;backoff=20;max_restarts=2",
    ],
    args: [
      "--rpc-workers",
      "1",
      "--rpc-queue",
      "1",
      "--rpc-timeout",
      "1000",
      "--metrics",
      "127.0.0.1:0",
      "--rpc-dgram",
      "udp:127.0.0.1:0",
    ],
  }, async (host) => {
    await host.waitFor(/task "crash": crash loop/);
    const c = await host.client();
    // One worker, a queue of one: the slow call times out, the next waits, the third is busy.
    const settled = await Promise.allSettled([
      c.call("evrexec.run", ["slow", "1500"]),
      c.call("evrexec.run", ["slow", "10"]),
      (async () => {
        await sleep(100);
        return await c.call("evrexec.run", ["echo", "busy?"]);
      })(),
    ]);
    assert.deepEqual(
      settled.map((s) => s.status === "rejected" ? (s.reason as { code: number }).code : "ok"),
      [-32001, "ok", -32002],
    );
    for (const data of ["a", "b", "c"]) {
      assert.equal(await c.call("evrexec.run", ["echo", data]), data);
    }
    for (const data of ["x", "y"]) await assert.rejects(c.call("evrexec.run", ["fail", data]));
    await assert.rejects(c.call("evrexec.run", ["nope", ""]));
    const raw = await RawClient.connect(host.socket);
    await raw.send("this is not json\n");
    await raw.lines(1);
    const [, udpPort] = await host.waitFor(/datagram JSON-RPC on udp:127\.0\.0\.1:(\d+)/);
    await dgramExchange(`udp:127.0.0.1:${udpPort}`, [{ data: "{bad" }, {
      data: JSON.stringify({ jsonrpc: "2.0", method: "core.uptime", id: 1 }),
    }]);
    await host.waitFor(/rpc worker 0: run of slow timed out/);
    await sleep(300); // the timed-out worker's replacement starts

    const all = await stats(c, "all");
    const expected: Record<string, number> = {
      "evrexec:runs": 8,
      "evrexec:run_errors": 2,
      "evrexec:run_timeouts": 1,
      "evrexec:run_busy": 1,
      "evrexec:run_unknown": 1,
      "task:steady-starts": 2,
      "task:steady-restarts": 0,
      "task:quick-starts": 1,
      "task:quick-returns": 1,
      "task:crash-starts": 3,
      "task:crash-restarts": 2,
      "task:crash-failures": 3,
      "evrexec:starts": 6,
      "evrexec:restarts": 2,
      "evrexec:failures": 3,
      "evrexec:returns": 1,
      "evrexec:tasks_active": 2,
      "evrexec:tasks_failed": 1,
      "evrexec:workers_running": 2,
      "evrexec:stuck_workers": 0,
      "function:echo-calls": 4,
      "function:echo-busy": 1,
      "function:slow-calls": 2,
      "function:slow-timeouts": 1,
      "function:fail-calls": 2,
      "function:fail-errors": 2,
      "rpc:pool_starts": 2,
      "rpc:pool_restarts": 1,
      "rpc:pool_failures": 1,
      "rpc:queue_length": 0,
      "rpc:stream-parse_errors": 1,
      "rpc:stream-accepted": 2,
      "rpc:udp-parse_errors": 1,
      "rpc:udp-requests": 1,
    };
    for (const [name, value] of Object.entries(expected)) {
      assert.equal(all.get(name), value, name);
    }
    assert.ok(all.get("function:slow-duration_us")! >= 1_000_000);
    assert.ok(all.get("rpc:stream-requests")! >= 10);

    // Selection as Kamailio's: a group, a name with or without its group, several, none.
    assert.deepEqual([...(await stats(c, "rpc:")).keys()].every((k) => k.startsWith("rpc:")), true);
    assert.deepEqual([...(await stats(c, "run_busy", "function:fail-errors")).entries()], [
      ["evrexec:run_busy", 1],
      ["function:fail-errors", 2],
    ]);
    assert.deepEqual(await c.call("stats.get_statistics", ["no_such_stat"]), []);
    await assert.rejects(c.call("stats.get_statistics", []), /-32602|takes one or more/);
    await assert.rejects(c.call("stats.reset_statistics"), /takes one or more/);

    const text = await metricsText(host);
    const prom = parsePromText(text);
    const metric = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(prom, name, labels);
    assert.equal(metric("evrexec_run_calls_total", { function: "echo" }), 4);
    assert.equal(metric("evrexec_run_busy_total", { function: "echo" }), 1);
    assert.equal(metric("evrexec_run_timeouts_total", { function: "slow" }), 1);
    assert.equal(metric("evrexec_run_errors_total", { function: "fail" }), 2);
    assert.equal(metric("evrexec_run_unknown_function_total"), 1);
    assert.equal(metric("evrexec_run_calls_total", { function: "nope" }), undefined);
    assert.equal(metric("evrexec_run_duration_seconds_count", { function: "echo" }), 3);
    assert.equal(metric("evrexec_run_duration_seconds_count", { function: "slow" }), 2);
    assert.equal(metric("evrexec_task_restarts_total", { task: "crash", index: "0" }), 2);
    assert.equal(metric("evrexec_task_starts_total", { task: "steady", index: "1" }), 1);
    assert.equal(metric("evrexec_task_returns_total", { task: "quick", index: "0" }), 1);
    assert.equal(metric("evrexec_task_state", { task: "crash", state: "failed" }), 1);
    assert.equal(metric("evrexec_workers", { task: "steady", state: "running" }), 2);
    assert.equal(metric("evrexec_rpc_parse_errors_total", { transport: "stream" }), 1);
    assert.equal(metric("evrexec_rpc_parse_errors_total", { transport: "udp" }), 1);
    assert.equal(metric("evrexec_rpc_pool_restarts_total", { index: "0" }), 1);
    assert.equal(metric("evrexec_healthy"), 0);
    assert.ok(metric("process_resident_memory_bytes")! > 1e6);
    assert.ok(metric("process_cpu_seconds_total")! > 0);
    const checked = await promtool(text);
    if (checked === null) console.log("promtool is not installed: the check with it is skipped");
    else assert.equal(checked.code, 0, checked.output);

    // A reset moves what stats.* shows, never what /metrics counts; gauges stay.
    assert.deepEqual(await c.call("stats.reset_statistics", ["function:", "evrexec:"]), {});
    const after = await stats(c, "function:", "evrexec:");
    assert.equal(after.get("function:echo-calls"), 0);
    assert.equal(after.get("evrexec:runs"), 0);
    assert.equal(after.get("evrexec:workers_running"), 2);
    await c.call("evrexec.run", ["echo", "again"]);
    assert.deepEqual(await c.call("stats.clear_statistics", ["echo-calls"]), [
      "function:echo-calls = 1",
    ]);
    assert.equal((await stats(c, "echo-calls")).get("function:echo-calls"), 0);
    const later = parsePromText(await metricsText(host));
    assert.equal(sampleValue(later, "evrexec_run_calls_total", { function: "echo" }), 5);
    await raw.close();
  }),
);

Deno.test(
  "stats: --stats off counts nothing; the gauges still read",
  withHost(OBSERVE, { exec: ["name=steady"], args: ["--stats", "off"] }, async (host) => {
    const c = await host.client();
    await host.waitFor(/: 1 worker running/);
    assert.equal(await c.call("evrexec.run", ["echo", "a"]), "a");
    const lines = await c.call("stats.get_statistics", ["all"]) as string[];
    assert.ok(lines.includes("evrexec:runs = 0"), lines.join("\n"));
    assert.ok(lines.includes("task:steady-starts = 0"));
    assert.ok(lines.includes("evrexec:workers_running = 1"));
  }),
);
