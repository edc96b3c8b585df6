// The exec spec: the parser's table of valid specs, and every invalid spec
// refused by the host with exit 2 and one line naming the bad part.
import assert from "node:assert/strict";
import { MAX_WAIT_US, MAX_WORKERS, parseExecSpec } from "../src/tasks/spec.ts";
import { fixture, runHost } from "./helpers/host.ts";

const VALID: [string, { name: string; waitUs: number; workers: number }][] = [
  ["name=evrexec:timer;wait=1000;workers=1", { name: "evrexec:timer", waitUs: 1000, workers: 1 }],
  ["name=t", { name: "t", waitUs: 0, workers: 1 }],
  ["name=t;", { name: "t", waitUs: 0, workers: 1 }],
  ["NAME=t;WAIT=5;Workers=3", { name: "t", waitUs: 5, workers: 3 }],
  ["  name = t ; wait = 7 ; workers = 2 ", { name: "t", waitUs: 7, workers: 2 }],
  ['name="t";wait="10";workers="4"', { name: "t", waitUs: 10, workers: 4 }],
  ["name=t;workers=0", { name: "t", waitUs: 0, workers: 1 }],
  ["workers=2;name=t", { name: "t", waitUs: 0, workers: 2 }],
  ["name=t;wait=007", { name: "t", waitUs: 7, workers: 1 }],
  [`name=t;wait=${MAX_WAIT_US};workers=${MAX_WORKERS}`, {
    name: "t",
    waitUs: MAX_WAIT_US,
    workers: MAX_WORKERS,
  }],
];

Deno.test("exec spec: valid specs parse to the task they describe", () => {
  for (const [spec, expected] of VALID) {
    const task = parseExecSpec(spec);
    assert.deepEqual(
      { name: task.name, waitUs: task.waitUs, workers: task.workers },
      expected,
      spec,
    );
    assert.equal(task.spec, spec);
  }
});

const INVALID: [string, RegExp][] = [
  ["", /empty spec/],
  ["   ", /empty spec/],
  ["wait=10", /missing "name"/],
  ["name=", /empty "name"/],
  ['name=""', /empty "name"/],
  ["name=t;wait=abc", /wait must be a non-negative integer/],
  ["name=t;wait=-1", /wait must be a non-negative integer/],
  ["name=t;wait=1.5", /wait must be a non-negative integer/],
  ["name=t;workers=x", /workers must be a non-negative integer/],
  ["name=t;workers=", /workers must be a non-negative integer/],
  ["name=t;colour=red", /unknown key "colour" \(expected name, wait, workers, restart, /],
  ["name=t;name=u", /key "name" given twice/],
  ["name=t;WAIT=1;wait=2", /key "wait" given twice/],
  [`name=t;workers=${MAX_WORKERS + 1}`, /workers must be at most 1024/],
  [`name=t;wait=${MAX_WAIT_US + 1}`, /wait must be at most 86400000000/],
  ["name=t;;wait=1", /empty item/],
  ["name=t;wait", /item "wait" is not key=value/],
  ["name=t;restart=sometimes", /restart must be one of no, on-failure, always/],
  ["name=t;backoff=0", /backoff must be at least 1 \(ms\)/],
  ["name=t;backoff=500;backoff_max=100", /backoff_max must be at least 500 \(ms\)/],
  ["name=t;max_restarts=-1", /max_restarts must be a non-negative integer/],
  ["name=t;restart_window=0", /restart_window must be at least 1 \(ms\)/],
  ["name=t;sockaddr=udp:host", /sockaddr must be udp:HOST:PORT/],
];

Deno.test("exec spec: supervision and UDP keys", () => {
  const task = parseExecSpec(
    'name=t;restart=on-failure;backoff=50;backoff_max=400;max_restarts=3;restart_window=1000;sockaddr="udp:[::1]:9000"',
  );
  assert.deepEqual(
    [task.restart, task.backoffMs, task.backoffMaxMs, task.maxRestarts, task.restartWindowMs],
    ["on-failure", 50, 400, 3, 1000],
  );
  assert.deepEqual(task.sockaddr, { host: "::1", port: 9000, text: "udp:[::1]:9000" });
  const defaults = parseExecSpec("name=t;restart=always");
  assert.deepEqual(
    [defaults.backoffMs, defaults.backoffMaxMs, defaults.maxRestarts, defaults.restartWindowMs],
    [100, 30_000, 5, 60_000],
  );
});

for (const [spec, problem] of INVALID) {
  Deno.test(`exec spec: ${JSON.stringify(spec)} exits 2 naming the problem`, async () => {
    const exit = await runHost([
      "--socket",
      "/tmp/evrexec-unused.sock",
      "--exec",
      spec,
      fixture("tasks.ts"),
    ]);
    assert.equal(exit.code, 2, exit.stderr);
    const lines = exit.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `one line expected, got:\n${exit.stderr}`);
    assert.match(lines[0], problem);
    assert.ok(lines[0].includes(JSON.stringify(spec)), `the line quotes the spec: ${lines[0]}`);
    assert.doesNotMatch(exit.stderr, /^\s+at .*:\d+:\d+/m, "no stack trace");
  });
}
