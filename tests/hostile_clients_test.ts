// Slow and hostile clients: one that never reads, a thousand idle ones, one
// that stalls mid-line, one that leaves while its call runs.
import assert from "node:assert/strict";
import { fixture, sleep, withHost } from "./helpers/host.ts";
import { openFds, rssMiB, settledFds, TORTURE } from "./helpers/proc.ts";
import { RawClient, request } from "./helpers/raw.ts";

const FAULTS = fixture("faults.ts");

Deno.test(
  "hostile: a client that never reads is slowed down, not buffered, and dropped when stalled",
  withHost(FAULTS, { args: ["--idle-timeout", "2000", "--log-level", "debug"] }, async (host) => {
    const rssBefore = rssMiB(host.pid);
    const greedy = await Deno.connect({ transport: "unix", path: host.socket }); // never read
    const payload = "x".repeat(4096);
    const calls = TORTURE ? 50_000 : 10_000; // answers of 40-200 MB if all were buffered
    let sent = 0;
    const writing = (async () => {
      const chunk = new TextEncoder().encode(
        Array.from({ length: 100 }, (_, i) => request(i, "evrexec.run", ["echo", payload])).join(
          "",
        ),
      );
      try {
        for (; sent < calls; sent += 100) {
          for (let done = 0; done < chunk.length;) done += await greedy.write(chunk.subarray(done));
        }
      } catch {
        // the host dropped us
      }
    })();
    // Never read from `greedy`. Meanwhile another client is served.
    const polite = await host.client();
    for (let i = 0; i < 20; i++) {
      assert.equal(await polite.call("evrexec.run", ["echo", `p${i}`]), `p${i}`);
      await sleep(50);
    }
    const rssDuring = rssMiB(host.pid);
    console.log(
      `never-reading client: the host read ${sent} of ${calls} calls; ` +
        `RSS ${rssBefore.toFixed(0)} → ${rssDuring.toFixed(0)} MiB`,
    );
    assert.ok(rssDuring - rssBefore < 100, `RSS grew ${(rssDuring - rssBefore).toFixed(0)} MiB`);
    assert.ok(
      sent < calls,
      `the host stopped reading the greedy client (${sent} of ${calls} sent)`,
    );
    await host.waitFor(
      /closing RPC connection #\d+: its client took no bytes for 2000 ms; \d+ of its answer bytes were unsent/,
      15_000,
    );
    await writing;
    greedy.close();
    assert.equal(await polite.call("evrexec.run", ["echo", "after"]), "after");
  }),
);

Deno.test(
  "hostile: past --max-connections with every connection busy, newcomers get one clear line",
  withHost(FAULTS, { args: ["--max-connections", "100"] }, async (host) => {
    const count = TORTURE ? 1000 : 300;
    const fdsBefore = await settledFds(host.pid);
    const busy: RawClient[] = [];
    for (let i = 0; i < 100; i++) {
      busy.push(await RawClient.connect(host.socket));
      await busy[i].send('{"jsonrpc":"2.0","method":"core.version",'); // half a line: busy
    }
    await sleep(500);
    const late: RawClient[] = [];
    for (let i = 100; i < count; i++) late.push(await RawClient.connect(host.socket));
    await sleep(500);
    const refused = late.filter((client) => client.ended);
    console.log(`${count} connections, 100 of them busy: ${refused.length} refused`);
    assert.equal(refused.length, count - 100, "all past the limit are refused");
    assert.ok(busy.every((client) => !client.ended), "no busy connection is closed");
    const [line] = await refused[0].lines(1) as { error: { code: number; message: string } }[];
    assert.equal(line.error.code, -32002);
    assert.equal(line.error.message, "busy: too many connections (--max-connections 100)");
    await host.waitFor(/refused \d+ connections: 100 are open and busy \(--max-connections\)/);
    await busy[0].send('"id":1}\n');
    assert.match((await busy[0].lines(1) as { result: string }[])[0].result, /^evrexec-deno/);
    await Promise.all([...busy, ...late].map((client) => client.close()));
    await sleep(500);
    assert.equal(await host.call("evrexec.run", ["echo", "room again"]), "room again");
    // Closing is asynchronous on the host's side: give it a few seconds on a loaded machine.
    const deadline = Date.now() + 5000;
    while (openFds(host.pid) > fdsBefore + 1 && Date.now() < deadline) await sleep(100);
    const fdsAfter = openFds(host.pid);
    assert.ok(
      fdsAfter <= fdsBefore + 1,
      `the refused and closed connections are gone (${fdsBefore} before, ${fdsAfter} after)`,
    );
  }),
);

Deno.test(
  "hostile: at --max-connections the connection idle the longest gives way to a newcomer",
  withHost(FAULTS, { args: ["--max-connections", "4"] }, async (host) => {
    const [idle1, idle2, partial, running] = await Promise.all(
      [0, 1, 2, 3].map(() => RawClient.connect(host.socket)),
    );
    for (const client of [idle1, idle2]) {
      await client.send(request(1, "core.version"));
      await client.lines(1);
      await sleep(100);
    }
    await partial.send('{"jsonrpc":"2.0","method":"core.version",');
    await running.send(request(1, "evrexec.run", ["slow", "8000"]));
    await sleep(1200); // quiet for over a second: idle, not between two calls
    const started = performance.now();
    assert.equal(await host.call("evrexec.run", ["echo", "operator"]), "operator");
    console.log(
      `--max-connections 4, all open: a newcomer answered in ${
        Math.round(performance.now() - started)
      } ms`,
    );
    assert.ok(await idle1.waitEnd(2000), "the connection idle the longest was closed");
    assert.ok(!idle2.ended);
    assert.equal(await host.call("evrexec.run", ["echo", "second"]), "second");
    assert.ok(await idle2.waitEnd(2000), "then the next idlest");
    const third = await RawClient.connect(host.socket);
    const [refusal] = await third.lines(1) as { error: { code: number } }[];
    assert.equal(refusal.error.code, -32002, "refused: the rest are busy or in use this second");
    assert.ok(!partial.ended && !running.ended, "a partial line or a running call is never closed");
    await sleep(1200);
    assert.equal(await host.call("evrexec.run", ["echo", "fourth"]), "fourth");
    await host.waitFor(/closed 1 idle connections to admit new ones: 4 are open/);
    for (const client of [idle1, idle2, partial, running, third]) await client.close();
  }),
);

Deno.test(
  "hostile: a client that sends half a line and stalls is closed by the idle timeout",
  withHost(FAULTS, { args: ["--idle-timeout", "1000"] }, async (host) => {
    const stalled = await RawClient.connect(host.socket);
    const started = performance.now();
    await stalled.send('{"jsonrpc":"2.0","method":"evrexec.run","params":["echo",');
    assert.ok(await stalled.waitEnd(10_000), "closed by the host");
    const ms = performance.now() - started;
    console.log(`half a line, --idle-timeout 1000: closed after ${Math.round(ms)} ms`);
    assert.ok(ms >= 900 && ms < 8000, `closed after ${Math.round(ms)} ms`);
    await stalled.close();
    const busy = await RawClient.connect(host.socket);
    await busy.send(request(1, "evrexec.run", ["slow", "2500"]));
    const [answer] = await busy.lines(1, 10_000) as { result: number }[];
    assert.equal(answer.result, 2500, "a connection waiting for its running call is not idle");
    await busy.close();
  }),
);

Deno.test(
  "hostile: a written answer is progress: the idle timeout counts from the last answer",
  withHost(FAULTS, { args: ["--idle-timeout", "1000"] }, async (host) => {
    const client = await RawClient.connect(host.socket);
    await client.send(request(1, "evrexec.run", ["slow", "1500"]));
    await client.lines(1, 10_000);
    await sleep(400); // read nothing for 1.9 s, but the answer was written 0.4 s ago
    assert.ok(!client.ended, "not closed 0.4 s after an answer");
    await client.send(request(2, "evrexec.run", ["echo", "next"]));
    const answers = await client.lines(2) as { result: unknown }[];
    assert.equal(answers[1].result, "next");
    assert.ok(await client.waitEnd(10_000), "closed once silent for the whole timeout");
    await client.close();
  }),
);

Deno.test(
  "hostile: a client that disconnects while its calls run leaks nothing",
  withHost(FAULTS, { args: ["--rpc-workers", "2"] }, async (host) => {
    const watcher = await host.client();
    await watcher.call("evrexec.run", ["echo", "warm-up"]);
    await sleep(200);
    const fdsBefore = await settledFds(host.pid);
    for (let i = 0; i < 20; i++) {
      const raw = await RawClient.connect(host.socket);
      await raw.send(
        request(1, "evrexec.run", ["slow", "200"]) + request(2, "evrexec.run", ["slow", "100"]),
      );
      await raw.close();
    }
    const poolIdle = async () =>
      (await watcher.call("core.psx") as { task: string; state: string }[])
        .filter((row) => row.task === "rpc").every((row) => row.state === "idle");
    const deadline = Date.now() + 15_000;
    while (!await poolIdle()) {
      assert.ok(Date.now() < deadline, "the pool is idle again once the departed calls are done");
      await sleep(200);
    }
    while (openFds(host.pid) > fdsBefore && Date.now() < deadline + 10_000) await sleep(200);
    console.log(`departed clients: descriptors ${fdsBefore} before, ${openFds(host.pid)} after`);
    assert.equal(openFds(host.pid), fdsBefore, "every departed connection is closed");
  }),
);
