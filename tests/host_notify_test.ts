// The host under systemd's Type=notify, against a notify socket the test
// binds in a process of its own: READY=1 only once every exec worker has
// loaded and the socket answers, RELOADING=1 (with MONOTONIC_USEC) and
// READY=1 around a reload that works and one that fails, STOPPING=1 at
// SIGTERM, a STATUS= line each time, WATCHDOG=1 at half WATCHDOG_USEC; a
// start-up that fails says why in its STATUS= line.
import assert from "node:assert/strict";
import { fixture, runHost, startHost } from "./helpers/host.ts";
import { NotifySocket } from "./helpers/notify_socket.ts";

Deno.test("host notify: READY once loaded and answering, RELOADING/READY around reloads, STOPPING, STATUS, WATCHDOG", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-host-notify-" });
  const notify = await NotifySocket.bind(`${dir}/notify.sock`);
  const script = `${dir}/app.ts`;
  await Deno.copyFile(fixture("slow_load.ts"), script);
  const host = await startHost(script, {
    exec: ["name=echo;workers=2"],
    env: { NOTIFY_SOCKET: `${dir}/notify.sock`, WATCHDOG_USEC: "400000" },
    permissions: ["--allow-sys=osUptime"],
    ready: false,
  });
  try {
    const ready = await notify.waitFor(/^READY=1\n/);
    // Every exec worker has loaded the script (1.5 s each, after the pool's own
    // load): none is still starting when systemd hears READY=1.
    const psx = await host.call("core.psx") as { role: string; state: string }[];
    const exec = psx.filter((row) => row.role === "exec");
    assert.equal(exec.length, 2, JSON.stringify(psx));
    assert.ok(exec.every((row) => row.state !== "starting"), JSON.stringify(exec));
    assert.equal(
      ready,
      `READY=1\nSTATUS=ready: 1 exec task, 0 of 2 workers running, RPC on ${host.socket}\n`,
    );
    assert.equal(notify.notes[0], "STATUS=starting\n");

    await host.call("evrexec.reload");
    await notify.waitFor(/reloaded \(version 2\)/);
    await Deno.writeTextFile(script, "export const broken = ;\n");
    await assert.rejects(host.call("evrexec.reload"));
    await notify.waitFor(/reload failed/);
    await host.stop("SIGTERM");
    await notify.waitFor(/^STOPPING=1\n/);

    const notes = notify.notes;
    assert.equal(notes.length, 7, JSON.stringify(notes));
    const reloading = /^RELOADING=1\nMONOTONIC_USEC=(\d+)\nSTATUS=reloading \(version (\d)\)\n$/;
    assert.equal(notes[2].match(reloading)?.[2], "1", notes[2]);
    assert.match(notes[3], /^READY=1\nSTATUS=reloaded \(version 2\): 1 exec task, /);
    assert.equal(notes[4].match(reloading)?.[2], "2", notes[4]);
    assert.match(notes[5], /^READY=1\nSTATUS=reload failed, version 2 kept: .*app\.ts/);
    assert.equal(notes[6], "STOPPING=1\nSTATUS=stopping\n");
    // MONOTONIC_USEC is the boot clock, as systemd compares it (seconds of uptime).
    const uptime = Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]);
    const usec = Number(notes[2].match(reloading)![1]);
    assert.ok(usec / 1e6 <= uptime + 1 && usec / 1e6 > uptime - 120, `${usec} against ${uptime}`);

    // Pings at half of 400 ms: many over the seconds the test ran, none after the stop.
    const pings = notify.received.filter((d) => d.text === "WATCHDOG=1\n");
    assert.ok(pings.length >= 10, `${pings.length} watchdog pings`);
    const gaps = pings.slice(1).map((d, i) => d.at - pings[i].at);
    const median = gaps.sort((a, b) => a - b)[Math.floor(gaps.length / 2)];
    assert.ok(median >= 120 && median <= 400, `the median gap was ${median} ms`);
  } finally {
    await host.cleanup();
    await notify.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("host notify: a start-up that fails says why in STATUS=, with STOPPING=1, and exits 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-host-notify-" });
  const notify = await NotifySocket.bind(`${dir}/notify.sock`);
  try {
    const exit = await runHost(["--socket", `${dir}/rpc.sock`, `${dir}/missing.ts`], 20_000, {
      NOTIFY_SOCKET: `${dir}/notify.sock`,
    });
    assert.equal(exit.code, 2, exit.stderr);
    await notify.waitFor(/^STOPPING=1\n/);
    assert.equal(notify.notes[0], "STATUS=starting\n");
    assert.match(notify.notes[1], /^STOPPING=1\nSTATUS=fatal: .*missing\.ts/);
    assert.equal(notify.notes.length, 2, JSON.stringify(notify.notes));
  } finally {
    await notify.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("host notify: without NOTIFY_SOCKET the host sends nothing and says nothing of it", async () => {
  const host = await startHost(fixture("slow_load.ts"), { exec: ["name=echo"] });
  try {
    assert.equal(await host.call("evrexec.run", ["echo", "hi"]), "hi");
    // Counts in words (issue 24 item 6): one task, one worker, no "1 exec tasks".
    assert.match(host.log, /host ready: 1 exec task, 1 exec worker, RPC on /);
    const exit = await host.stop("SIGTERM");
    assert.doesNotMatch(exit.stderr, /notify/i);
  } finally {
    await host.cleanup();
  }
});
