// `deno task top` in a real terminal (tmux): the screen shows the tasks and the
// functions, updates every second, and `q` quits. `--once` prints one screen.
import assert from "node:assert/strict";
import { fixture, ROOT, sleep, withHost } from "./helpers/host.ts";
import { waitForText } from "./helpers/file_wait.ts";

const SCRIPT = fixture("operate.ts");
const TOP = `${ROOT}src/client/top.ts`;

function tmux(server: string, ...args: string[]): Promise<Deno.CommandOutput> {
  return new Deno.Command("tmux", {
    args: ["-L", server, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
}

async function hasTmux(): Promise<boolean> {
  return await new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" }).output()
    .then((out) => out.success, () => false);
}

async function screen(server: string): Promise<string> {
  return new TextDecoder().decode((await tmux(server, "capture-pane", "-p", "-t", "top")).stdout);
}

function screenMatching(server: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  return waitForText(() => screen(server), pattern, "the screen", timeoutMs, 100);
}

Deno.test({
  name: "top: under tmux it shows the tasks, updates every second, scrolls and quits on q",
  ignore: !await hasTmux() && (console.log("skipped: tmux is missing"), true),
  fn: withHost(SCRIPT, { exec: ["name=alpha;workers=2", "name=beta"] }, async (host) => {
    await host.waitFor(/beta up index=0/);
    for (let i = 0; i < 5; i++) await host.call("evrexec.run", ["echo", String(i)]);
    const server = `evrexec-top-${Deno.pid}`;
    const command = [
      Deno.execPath(),
      "run",
      "--quiet",
      "--allow-all",
      TOP,
      "--socket",
      host.socket,
    ];
    const started = await tmux(
      server,
      "new-session",
      "-d",
      "-s",
      "top",
      "-x",
      "110",
      "-y",
      "12",
      ...command,
    );
    assert.ok(started.success, new TextDecoder().decode(started.stderr));
    try {
      const first = await screenMatching(server, /alpha[\s\S]*beta/);
      assert.match(first, /evrexec top - evrexec-deno \S+ - up \S+ - /);
      assert.match(first, /IDX +TASK +TASK STATE +INDEX +STATE +UPTIME +RESTARTS +HEAP/);
      assert.ok(first.split("\n").every((line) => line.length <= 110), "fits the window's width");
      const clock = (text: string) => /(\d\d:\d\d:\d\d)\n/.exec(text)?.[1];
      assert.ok(clock(first) !== undefined, first);
      await screenMatching(server, new RegExp(`(?!${clock(first)})\\d\\d:\\d\\d:\\d\\d\\n`), 5000);
      // 12 rows hold the header and the workers; the functions are further down.
      assert.doesNotMatch(await screen(server), /FUNCTION/);
      await tmux(server, "send-keys", "-t", "top", "Down", "Down", "Down", "Down", "Down", "Down");
      const scrolled = await screenMatching(server, /FUNCTION +CALLS\/S +CALLS +ERRORS/);
      assert.match(scrolled, /echo +\S+ +5 +0 +0/);
      assert.equal(scrolled.trimEnd().split("\n").length <= 12, true, "sized to the window");
      await tmux(server, "send-keys", "-t", "top", "q");
      const deadlineQuit = Date.now() + 10_000;
      while ((await tmux(server, "has-session", "-t", "top")).success) {
        assert.ok(Date.now() < deadlineQuit, "q quits");
        await sleep(100);
      }
    } finally {
      await tmux(server, "kill-server");
    }
  }),
});

Deno.test(
  "top: --once prints one screen; EVREXEC_SOCKET names the host; no host is one line, exit 1",
  withHost(SCRIPT, { exec: ["name=alpha"] }, async (host) => {
    await host.waitFor(/alpha up index=0/);
    const run = (args: string[], env: Record<string, string> = {}) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", "--allow-all", TOP, ...args],
        env: { COLUMNS: "100", ...env },
        stdout: "piped",
        stderr: "piped",
      }).output();
    const once = await run(["--once"], { EVREXEC_SOCKET: host.socket });
    const text = new TextDecoder().decode(once.stdout);
    assert.equal(once.code, 0, new TextDecoder().decode(once.stderr));
    assert.match(text, /\n +\d+ +alpha +active +0 +running /);
    assert.match(text, /\(rpc pool\)/);
    assert.match(text, /connections 1$/m, "top's own connection, the only one open");
    assert.ok(text.split("\n").every((line) => line.length <= 100));
    const none = await run(["--once", "--socket", `${host.dir}/nobody.sock`]);
    assert.equal(none.code, 1);
    assert.match(
      new TextDecoder().decode(none.stderr).trim(),
      /^evrexec-top: cannot reach a host at /,
    );
  }),
);

Deno.test(
  "top: p50/p99 are over the last 5 s, and over every call (marked *) when none ran in them",
  withHost(SCRIPT, {}, async (host) => {
    const { TopModel } = await import("../src/client/top_model.ts");
    const { renderScreen } = await import("../src/client/top_screen.ts");
    const client = await host.client();
    for (let i = 0; i < 5; i++) await client.call("evrexec.run", ["echo", `call ${i}`]);
    const call = (method: string, params?: unknown[]) => client.call(method, params);
    const model = new TopModel();
    const first = await model.refresh(call, 0);
    const echoAt = (view: typeof first) => view.functions.find((f) => f.name === "echo")!;
    assert.equal(echoAt(first).calls, 5);
    assert.ok(echoAt(first).p50 !== null);
    // Six seconds later by the model's clock, with no call since: the window is
    // empty, and the figures since the start show, marked, instead of "-".
    const later = await model.refresh(call, 6000);
    const echo = echoAt(later);
    assert.equal(echo.sinceStart, true);
    assert.equal(echo.p50, echoAt(first).p50);
    assert.equal(echo.p99, echoAt(first).p99);
    const state = { socket: host.socket, now: new Date(), scroll: 0, problem: null };
    const text = renderScreen(later, state, { rows: 60, columns: 160 }).join("\n");
    assert.match(text, /^echo\s.*\d+(\.\d+)?\s?(us|ms|s)\*\s+\d/m);
    assert.match(text, /P50\/P99 over the last 5 s; \* since the host started/);
    // A call in the window: its own figures again, unmarked.
    await client.call("evrexec.run", ["echo", "again"]);
    const fresh = echoAt(await model.refresh(call, 7000));
    assert.equal(fresh.sinceStart, false);
    assert.ok(fresh.p50 !== null);
  }),
);
