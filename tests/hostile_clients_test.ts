// Slow and hostile clients: one that never reads, a thousand idle ones, one
// that stalls mid-line, one that leaves while its call runs.
import assert from "node:assert/strict";
import { fixture, sleep, withHost } from "./helpers/host.ts";
import { openFds, rssMiB, TORTURE } from "./helpers/proc.ts";
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
    await host.waitFor(/closing a connection idle for over 2000 ms/, 15_000);
    await writing;
    greedy.close();
    assert.equal(await polite.call("evrexec.run", ["echo", "after"]), "after");
  }),
);

Deno.test(
  "hostile: past --max-connections, connections are refused with one clear line",
  withHost(FAULTS, { args: ["--max-connections", "100"] }, async (host) => {
    const count = TORTURE ? 1000 : 300;
    const fdsBefore = openFds(host.pid);
    const clients: RawClient[] = [];
    for (let i = 0; i < count; i++) clients.push(await RawClient.connect(host.socket));
    await sleep(500);
    const refused = clients.filter((client) => client.ended);
    console.log(`${count} connections, --max-connections 100: ${refused.length} refused`);
    assert.equal(refused.length, count - 100, "all past the limit are refused");
    const [line] = await refused[0].lines(1) as { error: { code: number; message: string } }[];
    assert.equal(line.error.code, -32002);
    assert.equal(line.error.message, "busy: too many connections (--max-connections 100)");
    await host.waitFor(/refused \d+ connections: 100 are open \(--max-connections\)/);
    const open = clients.filter((client) => !client.ended);
    await open[0].send(request(1, "core.version"));
    assert.match((await open[0].lines(1) as { result: string }[])[0].result, /^evrexec-deno/);
    await Promise.all(clients.map((client) => client.close()));
    await sleep(500);
    assert.equal(await host.call("evrexec.run", ["echo", "room again"]), "room again");
    assert.ok(openFds(host.pid) <= fdsBefore + 1, "the refused and closed connections are gone");
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
  "hostile: a client that disconnects while its calls run leaks nothing",
  withHost(FAULTS, { args: ["--rpc-workers", "2"] }, async (host) => {
    const watcher = await host.client();
    await watcher.call("evrexec.run", ["echo", "warm-up"]);
    await sleep(200);
    const fdsBefore = openFds(host.pid);
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
    assert.equal(openFds(host.pid), fdsBefore, "every departed connection is closed");
  }),
);
