// The statistics registry, the health verdict and the datagram answers, driven directly.
import assert from "node:assert/strict";
import { DurationHistogram } from "../../src/observe/histogram.ts";
import { HostStats, type SlotLike } from "../../src/observe/stats.ts";
import { selectRows, statLine, type StatRow } from "../../src/observe/stat_rows.ts";
import { healthOf } from "../../src/observe/health.ts";
import { answerDatagram, MAX_DATAGRAM_BYTES } from "../../src/rpc/dgram_answer.ts";
import { TransportCounts } from "../../src/rpc/transport_counts.ts";

Deno.test("histogram: counts per bucket, cumulative with +Inf last", () => {
  const h = new DurationHistogram();
  for (const seconds of [0.00005, 0.0001, 0.0002, 0.3, 100]) h.observe(seconds);
  const cumulative = h.cumulative();
  assert.equal(cumulative[0], 2, "le 0.0001 holds 0.00005 and 0.0001");
  assert.equal(cumulative[1], 3);
  assert.equal(cumulative.at(-2), 4, "le 60");
  assert.equal(cumulative.at(-1), 5, "+Inf");
  assert.equal(h.count, 5);
  assert.ok(Math.abs(h.sum - 100.30035) < 1e-9);
});

Deno.test("stats: worker states count starts, restarts, failures and returns", () => {
  const stats = new HostStats();
  const slot: SlotLike = { role: "exec", task: "t", index: 0 };
  // Each change as the worker states report it: the new state, its error, the state before.
  stats.workerState(slot, "starting", undefined, "starting"); // asked for
  stats.workerState(slot, "starting", undefined, "starting"); // made: the same start
  stats.workerState(slot, "running", undefined, "starting");
  stats.workerState(slot, "failed", "boom", "running");
  stats.workerState(slot, "backoff", undefined, "failed");
  stats.workerState(slot, "starting", undefined, "backoff");
  stats.workerState(slot, "failed", undefined, "starting"); // given up while in backoff: no new failure
  stats.workerState(slot, "starting", undefined, "failed");
  stats.workerState(slot, "returned", undefined, "starting");
  const replaced: SlotLike = { role: "exec", task: "t", index: 0 }; // a new slot, same place
  stats.workerState(replaced, "starting", undefined, "starting");
  assert.deepEqual({ ...stats.workers.get("exec\0t\x000") }, {
    role: "exec",
    task: "t",
    index: 0,
    starts: 4,
    restarts: 2,
    failures: 1,
    returns: 1,
  });
});

Deno.test("stats: a run is counted by its outcome; busy ones are not timed", () => {
  const stats = new HostStats();
  const f = stats.function("f");
  f.ended(f.begin());
  for (const outcome of ["timeout", "busy", "error", "error"] as const) f.ended(f.begin(), outcome);
  assert.equal(stats.function("f"), f);
  assert.deepEqual([f.calls, f.errors, f.timeouts, f.busy, f.durations.count], [5, 2, 1, 1, 4]);
});

Deno.test("stat rows: chosen by all, GROUP:, GROUP:NAME or NAME, in the names' order, each once", () => {
  const rows: StatRow[] = [
    { group: "evrexec", name: "runs", value: 3, counter: true },
    { group: "evrexec", name: "workers_idle", value: 2, counter: false },
    { group: "function", name: "evrexec:timer-calls", value: 1, counter: true },
  ];
  const names = (picked: StatRow[]) => picked.map(statLine);
  assert.deepEqual(names(selectRows(rows, ["all"])).length, 3);
  assert.deepEqual(names(selectRows(rows, ["evrexec:"])), [
    "evrexec:runs = 3",
    "evrexec:workers_idle = 2",
  ]);
  assert.deepEqual(names(selectRows(rows, ["evrexec:timer-calls", "runs", "evrexec:runs"])), [
    "function:evrexec:timer-calls = 1",
    "evrexec:runs = 3",
  ]);
  assert.deepEqual(selectRows(rows, ["nope", "nope:"]), []);
});

Deno.test("health: ok, or every reason in one line", () => {
  const task = (name: string, state: string) => ({ task: { name }, state });
  assert.deepEqual(healthOf({ stopping: false, supervisors: [task("a", "active")] }, []), {
    ok: true,
    reason: "ok",
  });
  const bad = healthOf({
    stopping: true,
    supervisors: [task("a", "failed"), task("b", "stopped"), task("c", "active")],
  }, [{ label: "rpc worker 1", role: "rpc", since: 0 }]);
  assert.equal(bad.ok, false);
  assert.equal(bad.reason.includes("\n"), false);
  assert.match(
    bad.reason,
    /^shutting down; task "a" failed: .*; task "b" is stopped; 1 worker stuck in synchronous code \(rpc worker 1\)/,
  );
});

Deno.test("datagram answers: too large either way, not UTF-8, a batch, a notification", async () => {
  const counts = new TransportCounts();
  const call = (method: string, params: unknown) => {
    if (method === "big") return "x".repeat(MAX_DATAGRAM_BYTES);
    return params;
  };
  const text = async (bytes: Uint8Array | string) => {
    const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    const answer = await answerDatagram(data, call, counts);
    return answer === null ? null : JSON.parse(new TextDecoder().decode(answer));
  };
  assert.deepEqual(await text('{"jsonrpc":"2.0","method":"echo","params":[1],"id":"a"}'), {
    jsonrpc: "2.0",
    result: [1],
    id: "a",
  });
  const big = await text('{"jsonrpc":"2.0","method":"big","id":9}');
  assert.deepEqual([big.error.code, big.id], [-32603, 9]);
  assert.match(big.error.message, /call big over the stream socket/);
  assert.equal((await text("x".repeat(MAX_DATAGRAM_BYTES + 1))).error.code, -32600);
  assert.equal((await text(new Uint8Array([0xc3, 0x28]))).error.code, -32700);
  assert.equal((await text("[1,2]")).error.code, -32600);
  assert.equal((await text("[nope")).error.code, -32700);
  assert.equal(await text('{"jsonrpc":"2.0","method":"echo"}'), null);
  assert.equal(await text(""), null);
  assert.deepEqual(
    [counts.requests, counts.parseErrors, counts.tooLarge],
    [4, 2, 2],
  );
});
