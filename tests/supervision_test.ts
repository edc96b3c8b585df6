// Restart policies: backoff, the crash-loop limit, on-failure vs always, and
// the backoff reset after a worker stays up.
import assert from "node:assert/strict";
import { fixture, sleep, withHost } from "./helpers/host.ts";

const SUPERVISED = fixture("supervised.ts");

type Task = {
  name: string;
  state: string;
  workers: { state: string; restarts: number; last_error: { message: string } | null }[];
};

Deno.test(
  "restart=always: backoff doubles between restarts, then the crash-loop limit marks the task failed",
  withHost(SUPERVISED, {
    exec: ["name=crash;restart=always;backoff=200;max_restarts=4", "name=steady"],
  }, async (host) => {
    await host.waitFor(/task "crash": crash loop: 4 restarts within 60000 ms/, 20_000);
    const delays = [...host.log.matchAll(/restarting in (\d+) ms/g)].map((m) => Number(m[1]));
    assert.deepEqual(delays, [200, 400, 800, 1600]);
    const starts = [...host.log.matchAll(/crash start index=0 at=(\d+)/g)].map((m) => Number(m[1]));
    assert.equal(starts.length, 5, "the first start and four restarts");
    for (let i = 1; i < starts.length; i++) {
      const gap = starts[i] - starts[i - 1];
      assert.ok(gap >= delays[i - 1], `gap ${i} is ${gap} ms, at least ${delays[i - 1]}`);
      assert.ok(
        gap < delays[i - 1] + 3000,
        `gap ${i} is ${gap} ms, not far above ${delays[i - 1]}`,
      );
    }
    await sleep(800);
    assert.equal(host.count(/crash start/), 5, "no restart after the limit");
    assert.equal(host.count(/crash loop/), 1, "logged once");
    const [crash, steady] = await host.call("evrexec.list") as Task[];
    assert.equal(crash.state, "failed");
    assert.equal(crash.workers[0].state, "failed");
    assert.equal(crash.workers[0].restarts, 4);
    assert.equal(crash.workers[0].last_error?.message, "crash 0");
    assert.equal(steady.state, "active");
    assert.equal(steady.workers[0].state, "running", "other tasks are untouched");
  }),
);

Deno.test(
  "restart=on-failure restarts a failed worker, not one whose function returned",
  withHost(SUPERVISED, {
    exec: [
      "name=quick;restart=on-failure",
      "name=crash;restart=on-failure;backoff=100;max_restarts=1",
    ],
  }, async (host) => {
    await host.waitFor(/task "crash": crash loop: 1 restart within/, 15_000);
    await sleep(500);
    assert.equal(host.count(/quick start/), 1, "a return is not a failure");
    assert.match(host.log, /task "quick" worker 0: function returned; the worker stays idle/);
    assert.equal(host.count(/crash start/), 2, "a failure is restarted");
    const [quick] = await host.call("evrexec.list") as Task[];
    assert.equal(quick.workers[0].state, "returned");
  }),
);

Deno.test(
  "restart=always restarts a worker whose function returned",
  withHost(
    SUPERVISED,
    { exec: ["name=quick;restart=always;backoff=100;max_restarts=2;workers=2"] },
    async (host) => {
      await host.waitFor(/task "quick": crash loop: 2 restarts/, 15_000);
      assert.ok(host.count(/quick start/) >= 3);
      assert.match(host.log, /function returned; restarting in 100 ms \(restart=always\)/);
    },
  ),
);

Deno.test(
  "backoff resets once a worker has stayed up for the restart window",
  withHost(SUPERVISED, {
    exec: ["name=lives;restart=on-failure;backoff=300;restart_window=1000;max_restarts=2"],
  }, async (host) => {
    await host.waitFor(
      /lives start index=0[\s\S]*lives start[\s\S]*lives start[\s\S]*lives start/,
      20_000,
    );
    const delays = [...host.log.matchAll(/restarting in (\d+) ms/g)].map((m) => Number(m[1]));
    assert.deepEqual(delays.slice(0, 3), [300, 300, 300], "no doubling after a stable run");
    assert.equal(host.count(/crash loop/), 0, "restarts spread out are no crash loop");
  }),
);
