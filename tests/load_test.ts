// Load: many connections pipelining evrexec.run; every call answered once
// with its id and result; memory and file descriptors come back.
// `deno task torture` runs 16 × 5,000 calls; the normal suite 16 × 300.
import assert from "node:assert/strict";
import { fixture, sleep, withHost } from "./helpers/host.ts";
import { openFds, rssMiB, settledFds, TORTURE } from "./helpers/proc.ts";
import { RawClient } from "./helpers/raw.ts";

const CONNECTIONS = 16;
const CALLS = TORTURE ? 5000 : 300;
/**
 * Bounds on the host's RSS, in MiB (documented in docs/reliability.md): the
 * first run may grow the heaps to their working size; a second run of the
 * same load must not grow it much further.
 */
const FIRST_RUN_GROWTH_MIB = 160;
const SECOND_RUN_GROWTH_MIB = 24;

async function pipelined(socket: string, c: number): Promise<void> {
  const raw = await RawClient.connect(socket);
  try {
    let text = "";
    for (let i = 0; i < CALLS; i++) {
      text += JSON.stringify({
        jsonrpc: "2.0",
        method: "evrexec.run",
        params: ["echo", `c${c}-${i}`],
        id: i,
      }) + "\n";
    }
    const writing = raw.send(text);
    const answers = await raw.lines(CALLS, 240_000) as { id: number; result: string }[];
    await writing;
    const seen = new Set<number>();
    for (const answer of answers) {
      assert.ok(!seen.has(answer.id), `id ${answer.id} answered twice`);
      seen.add(answer.id);
      assert.equal(answer.result, `c${c}-${answer.id}`, JSON.stringify(answer));
    }
    assert.equal(seen.size, CALLS);
    await sleep(50);
    assert.equal(raw.lineCount, CALLS, "no extra answers");
  } finally {
    await raw.close();
  }
}

Deno.test(
  `load: ${CONNECTIONS} connections × ${CALLS} pipelined calls, each answered once; no leak`,
  withHost(fixture("faults.ts"), {}, async (host) => {
    await host.call("evrexec.run", ["echo", "warm-up"]);
    await (await host.client()).close();
    await sleep(200);
    const rss = [rssMiB(host.pid)];
    const fdsBefore = await settledFds(host.pid);
    for (const run of [1, 2]) {
      const started = performance.now();
      await Promise.all(Array.from({ length: CONNECTIONS }, (_, c) => pipelined(host.socket, c)));
      const seconds = (performance.now() - started) / 1000;
      await sleep(500);
      rss.push(rssMiB(host.pid));
      console.log(
        `load run ${run}: ${CONNECTIONS * CALLS} calls in ${seconds.toFixed(1)} s ` +
          `(${Math.round(CONNECTIONS * CALLS / seconds)}/s); RSS ${rss[run - 1].toFixed(0)} → ` +
          `${rss[run].toFixed(0)} MiB; fds ${fdsBefore} → ${openFds(host.pid)}`,
      );
    }
    assert.ok(
      rss[1] - rss[0] < FIRST_RUN_GROWTH_MIB,
      `first run grew RSS ${(rss[1] - rss[0]).toFixed(1)} MiB`,
    );
    assert.ok(
      rss[2] - rss[1] < SECOND_RUN_GROWTH_MIB,
      `second run grew RSS ${(rss[2] - rss[1]).toFixed(1)} MiB`,
    );
    assert.equal(openFds(host.pid), fdsBefore, "no file descriptor leaked");
  }),
);
