// RPC answers while workers start: workers are created one event-loop turn
// apart, so calls are answered during start-up, a mass restart and a reload,
// instead of waiting for every `new Worker()` of a task.
import assert from "node:assert/strict";
import type { RpcClient } from "../src/client/client.ts";
import { fixture, sleep, startHost, type TestHost } from "./helpers/host.ts";

const WORKERS = 32;

/** Calls `core.version` one after the other until `until` settles; every wait, longest first, ms. */
async function probe(client: RpcClient, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  until.then(() => done = true, () => done = true);
  const waits: number[] = [];
  while (!done) {
    const started = performance.now();
    await client.call("core.version");
    waits.push(performance.now() - started);
    await sleep(5);
  }
  return waits.sort((a, b) => b - a);
}

/** Resolves once the log has `pattern` `times` times; rejects after a minute. */
async function seen(host: TestHost, pattern: RegExp, times: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (host.count(pattern) < times) {
    if (Date.now() > deadline) throw new Error(`${pattern} not seen ${times} times: ${host.log}`);
    await sleep(10);
  }
}

Deno.test("startup latency: RPC is answered while many workers start, restart and reload", async () => {
  const host = await startHost(fixture("lifecycle.ts"), {
    exec: [`name=kamailio;workers=${WORKERS};restart=on-failure`],
    args: ["--rpc-workers", "8"],
    ready: false,
  });
  try {
    const deadline = Date.now() + 30_000;
    while (!await Deno.lstat(host.socket).then(() => true, () => false)) {
      assert.ok(Date.now() < deadline, `no socket: ${host.log}`);
      await sleep(5);
    }
    const client = await host.client();
    const prober = await host.client();
    const up = /kamailio up index=\d+/;
    const figures: string[] = [];
    for (
      const [what, act] of [
        ["start-up", () => {}],
        ["evrexec.restart", () => client.call("evrexec.restart", ["kamailio"])],
        ["evrexec.reload", () => client.call("evrexec.reload")],
      ] as const
    ) {
      const started = performance.now();
      const all = Promise.all([seen(host, up, host.count(up) + WORKERS), act()]);
      const waits = await probe(prober, all);
      await all;
      const total = performance.now() - started;
      const [longest, second] = waits.map(Math.round);
      const median = Math.round(waits[Math.floor(waits.length / 2)]);
      figures.push(
        `${what}: ${waits.length} calls answered in ${Math.round(total)} ms; ` +
          `longest wait ${longest} ms, next ${second} ms, median ${median} ms`,
      );
      // Each call waits for a creation or two (about 30 ms each on an idle
      // machine, several times that on a loaded one), not for all of them.
      assert.ok(
        longest < total * 0.6,
        `${what}: a call waited ${longest} ms while ${WORKERS} workers took ${
          Math.round(total)
        } ms to start`,
      );
    }
    console.log(figures.join("\n"));
  } finally {
    await host.cleanup();
  }
});
