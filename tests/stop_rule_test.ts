// The stop rule: a worker whose code never read KSR.shutdown is terminated at
// once, one that did gets up to --shutdown-timeout, one that does not
// acknowledge the stop within 100 ms (synchronous code) is terminated at once,
// and counted stuck only if its thread has not ended 3 s later; for SIGTERM,
// Ctrl-C under `deno task`, evrexec.stop, restart and reload.
import assert from "node:assert/strict";
import { fixture, ROOT, startHost, withHost } from "./helpers/host.ts";

const LIFECYCLE = fixture("lifecycle.ts");

Deno.test("stop rule: SIGTERM stops Kamailio-style and spinning loops at once, not after 5 s", async () => {
  const host = await startHost(LIFECYCLE, { exec: ["name=kamailio;workers=2", "name=spin"] });
  try {
    await host.waitFor(/kamailio up index=1/);
    await host.waitFor(/spinning/);
    const exit = await host.stop("SIGTERM");
    console.log(`SIGTERM to exit: ${Math.round(exit.ms)} ms (--shutdown-timeout 5000)`);
    assert.equal(exit.code, 0, exit.stderr);
    assert.ok(exit.ms < 2500, `stopped after ${Math.round(exit.ms)} ms, not the 5 s timeout`);
    assert.doesNotMatch(exit.stderr, /terminating what is left/);
  } finally {
    await host.cleanup();
  }
});

Deno.test(
  "stop rule: a worker that does not answer the stop in time is terminated at once; only a thread that does not end is stuck",
  withHost(LIFECYCLE, {
    exec: ["name=hiccup", "name=spin"],
    args: ["--max-stuck", "1"],
  }, async (host) => {
    await host.waitFor(/hiccup up index=0/);
    await host.waitFor(/spinning/);
    for (const task of ["hiccup", "spin"]) {
      const started = performance.now();
      await host.call("evrexec.stop", [task]);
      const ms = Math.round(performance.now() - started);
      console.log(`evrexec.stop ${task}: ${ms} ms`);
      assert.ok(ms < 2500, `answered in ${ms} ms`);
      await host.waitFor(
        new RegExp(`task "${task}" worker 0: did not answer the stop within 100 ms`),
      );
    }
    // The slow worker's thread ends once told; the spinning one's never does:
    // only that one is listed and counted (within --max-stuck 1).
    await host.waitFor(/task "spin" worker 0 was terminated but its thread has not ended/);
    const rows = await host.call("core.psx") as { state: string; description: string }[];
    const stuck = rows.filter((row) => row.state === "stuck");
    assert.equal(stuck.length, 1, JSON.stringify(stuck));
    assert.match(stuck[0].description, /task "spin" worker 0/);
    assert.doesNotMatch(host.log, /task "hiccup" worker 0 was terminated but/);
    assert.equal(typeof await host.call("core.version"), "string");
  }),
);

Deno.test("stop rule: a loop that reads KSR.shutdown gets its grace to finish", async () => {
  const host = await startHost(LIFECYCLE, { exec: ["name=tidy", "name=kamailio"] });
  try {
    await host.waitFor(/tidy up index=0/);
    const exit = await host.stop("SIGTERM");
    console.log(`SIGTERM to exit with a 1.5 s tidy-up: ${Math.round(exit.ms)} ms`);
    assert.equal(exit.code, 0);
    assert.match(exit.stderr, /tidy 0 finished \d+ ms after the stop/);
    assert.ok(exit.ms >= 1400, `waited for the tidy-up (${Math.round(exit.ms)} ms)`);
  } finally {
    await host.cleanup();
  }
});

Deno.test(
  "stop rule: past --shutdown-timeout a watching loop is terminated, with a warning",
  withHost(LIFECYCLE, {
    exec: ["name=stubborn"],
    args: ["--shutdown-timeout", "800"],
  }, async (host) => {
    await host.waitFor(/stubborn up index=0 watching=boolean/);
    const started = performance.now();
    await host.call("evrexec.stop", ["stubborn"]);
    const ms = performance.now() - started;
    assert.ok(ms >= 750, `the grace was given (${Math.round(ms)} ms)`);
    await host.waitFor(/task "stubborn" worker 0: did not end within its grace after the stop/);
  }),
);

Deno.test(
  "stop rule: evrexec.stop, restart and reload of a Kamailio-style loop answer quickly",
  withHost(LIFECYCLE, { exec: ["name=kamailio;workers=2;restart=on-failure"] }, async (host) => {
    await host.waitFor(/kamailio up index=1/);
    const c = await host.client();
    const timed = async (method: string, params: unknown[]) => {
      const started = performance.now();
      await c.call(method, params);
      const ms = performance.now() - started;
      console.log(`${method}: ${Math.round(ms)} ms`);
      return ms;
    };
    for (const [method, params] of [["evrexec.restart", ["kamailio"]], ["evrexec.reload", []]]) {
      const before = host.count(/kamailio up index=1/);
      const ms = await timed(method as string, params as unknown[]);
      assert.ok(ms < 2500, `${method} took ${Math.round(ms)} ms, not the 5 s timeout`);
      await host.waitFor(new RegExp(`(kamailio up index=1[\\s\\S]*){${before + 1}}`));
    }
    assert.ok(await timed("evrexec.stop", ["kamailio"]) < 2500);
  }),
);

Deno.test("stop rule: Ctrl-C on `deno task host` with a Kamailio-style loop returns in about a second", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-ctrlc-" });
  // setsid: a process group of its own, which Ctrl-C signals as a whole.
  const child = new Deno.Command("setsid", {
    args: [Deno.execPath(), "task", "host", "--exec", "name=kamailio", LIFECYCLE],
    cwd: ROOT,
    env: { NO_COLOR: "1", EVREXEC_SOCKET: `${dir}/rpc.sock` },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) log += chunk;
  })();
  try {
    const deadline = Date.now() + 20_000;
    while (!/kamailio up/.test(log) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.match(log, /kamailio up/);
    const started = performance.now();
    Deno.kill(-child.pid, "SIGINT");
    const status = await child.status;
    const ms = performance.now() - started;
    console.log(`Ctrl-C to prompt: ${Math.round(ms)} ms`);
    assert.equal(status.code, 0, log);
    assert.ok(ms < 2000, `the prompt came back after ${Math.round(ms)} ms`);
  } finally {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      // gone already
    }
    await reading;
    await Deno.remove(dir, { recursive: true });
  }
});
