// The exec spec parser: the table of valid specs and the supervision keys.
import assert from "node:assert/strict";
import { MAX_WAIT_US, MAX_WORKERS, parseExecSpec } from "../../src/config/exec_spec.ts";

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
