// `evrexec init`: the project it writes works as written, with nothing
// installed and a fresh Deno cache: its unit tests pass, its checks pass, its
// start task runs the host (called over RPC, stopped by SIGTERM), its systemd
// unit passes `systemd-analyze verify` and its ExecStart runs the host too;
// and it never overwrites a file.
import assert from "node:assert/strict";
import { RpcClient } from "../mod.ts";
import { InitError, initProject, PROJECT_FILES } from "../src/cli/init_project.ts";
import { UNIT_SOCKET } from "../src/cli/init_template/service_unit.ts";
import { runWithEnv } from "./helpers/clean_env_run.ts";

const INIT = new URL("../src/cli/init_command.ts", import.meta.url).pathname;
const ANALYZE = "/usr/bin/systemd-analyze";

/** The test's environment less what would point the host at another socket. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of ["EVREXEC_SOCKET", "XDG_RUNTIME_DIR", "NOTIFY_SOCKET", "WATCHDOG_USEC"]) {
    delete env[name];
  }
  return { ...env, NO_COLOR: "1", ...extra };
}

function run(args: string[], cwd: string, env: Record<string, string>, command?: string) {
  return runWithEnv(command ?? Deno.execPath(), args, cwd, env);
}

/** A host process: waits for "host ready" and a first beat, calls `hello`, stops it with SIGTERM. */
/** Uncomments the config's `rpc-fifo` line (kamctl's transport), at `path`: all it should take. */
async function serveFifo(dir: string, path: string): Promise<void> {
  const file = `${dir}/evrexec.jsonc`;
  const text = await Deno.readTextFile(file);
  const line = /^ *\/\/ ("rpc-fifo": )"[^"]*",$/m;
  assert.match(text, line);
  await Deno.writeTextFile(file, text.replace(line, `  $1${JSON.stringify(path)},`));
}

async function runHost(command: string, args: string[], cwd: string, env: Record<string, string>) {
  const host = new Deno.Command(command, {
    args,
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = host.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  const collected = (async () => {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      log += value;
    }
  })();
  try {
    const deadline = Date.now() + 60_000;
    while (!/host ready/.test(log) || !/heartbeat 0: beat 1/.test(log)) {
      if (Date.now() > deadline) throw new Error(`no "host ready" and beat in 60 s:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const socket = log.match(/RPC on (\S+)/)![1];
    const client = await RpcClient.connect(socket);
    const answer = await client.call("evrexec.run", ["hello", "you"]);
    await client.close();
    host.kill("SIGTERM");
    const status = await host.status;
    await collected;
    return { answer, code: status.code, log };
  } catch (error) {
    host.kill("SIGKILL");
    await host.status;
    throw error;
  }
}

/** The ExecStart command of a unit file, one argument each, as systemd reads it. */
function execStart(unit: string): string[] {
  const joined = unit.replace(/\\\n/g, " ");
  const line = joined.split("\n").find((l) => l.startsWith("ExecStart="))!;
  const args: string[] = [];
  for (const match of line.slice("ExecStart=".length).matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
    const raw = match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2];
    args.push(raw.replaceAll("%%", "%").replaceAll("$$", "$"));
  }
  return args;
}

Deno.test({
  name: "init: the project's tests and checks pass, and deno task start runs the host",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "evrexec-init-" });
    try {
      const dir = `${tmp}/hello-app`;
      const { dir: written, files } = await initProject(dir);
      assert.equal(written, dir);
      assert.deepEqual([...files].sort(), [...PROJECT_FILES].sort());
      const env = cleanEnv({ DENO_DIR: `${tmp}/deno-dir`, EVREXEC_SOCKET: `${tmp}/rpc.sock` });

      const tested = await run(["task", "test"], dir, env);
      assert.equal(tested.code, 0, tested.stdout + tested.stderr);
      assert.match(tested.stdout, /ok \| 2 passed \| 0 failed/);
      const checked = await run(["task", "check"], dir, env);
      assert.equal(checked.code, 0, checked.stdout + checked.stderr);

      await serveFifo(dir, `${tmp}/kamailio_rpc.fifo`);
      const started = await runHost(Deno.execPath(), ["task", "start"], dir, env);
      assert.equal(started.answer, "hello, you");
      assert.equal(started.code, 0, started.log);
      assert.match(started.log, /RPC on .*rpc\.sock/);
      assert.match(
        started.log,
        /JSON-RPC FIFO \(kamctl\) at .*kamailio_rpc\.fifo/,
        "rpc-fifo uncommented",
      );
      assert.match(started.log, /heartbeat 0: beat 1/);
      assert.match(started.log, /heartbeat 0: stopped/);
      assert.doesNotMatch(started.log, /Debugger listening|ERR|WRN/);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "init: the systemd unit's ExecStart runs the host, frozen on the project's lock",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "evrexec-init-" });
    try {
      const dir = `${tmp}/svc`;
      await initProject(dir);
      const env = cleanEnv({ DENO_DIR: Deno.env.get("DENO_DIR") ?? `${tmp}/deno-dir` });
      const locked = await run(["install"], dir, env);
      assert.equal(locked.code, 0, locked.stderr);
      const unit = await Deno.readTextFile(`${dir}/evrexec.service`);
      const command = execStart(unit);
      assert.equal(command[0], Deno.execPath());
      assert.ok(command.includes("--frozen"));
      const at = command.indexOf(UNIT_SOCKET);
      assert.ok(at > 0, `the unit's socket ${UNIT_SOCKET} is not in ${command.join(" ")}`);
      command[at] = `${tmp}/unit.sock`; // /run/evrexec is systemd's to make
      await serveFifo(dir, `${tmp}/kamailio_rpc.fifo`);
      const started = await runHost(command[0], command.slice(1), "/", env);
      assert.equal(started.answer, "hello, you");
      assert.equal(started.code, 0, started.log);
      assert.match(
        started.log,
        /JSON-RPC FIFO \(kamctl\) at .*kamailio_rpc\.fifo/,
        "rpc-fifo uncommented",
      );
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test("init: systemd-analyze verify accepts the unit, also for a path with blanks, % and $", async () => {
  try {
    await Deno.stat(ANALYZE);
  } catch {
    console.log(`skipped: ${ANALYZE} is missing`);
    return;
  }
  const tmp = await Deno.makeTempDir({ prefix: "evrexec-init-" });
  try {
    for (const name of ["plain", 'odd dir 100% $HOME "q"']) {
      const dir = `${tmp}/${name}`;
      await initProject(dir);
      const unit = await Deno.readTextFile(`${dir}/evrexec.service`);
      for (
        const line of [
          "Type=notify",
          "NotifyAccess=main",
          "NoNewPrivileges=yes",
          "ProtectSystem=strict",
          "PrivateTmp=yes",
          "RuntimeDirectory=evrexec",
          "ExecReload=/bin/kill -HUP $MAINPID",
          "Restart=on-failure",
        ]
      ) assert.ok(unit.split("\n").includes(line), `${line} missing`);
      assert.match(unit, /^WatchdogSec=\d+$/m);
      assert.match(unit, /^ProtectHome=(yes|read-only)$/m);
      const command = execStart(unit);
      assert.ok(command.includes(`${dir}/deno.json`), command.join(" | "));
      assert.ok(command.includes(`${dir}/evrexec.jsonc`), command.join(" | "));
      const verified = await run(["verify", `${dir}/evrexec.service`], dir, cleanEnv({}), ANALYZE);
      const about = verified.stderr.split("\n").filter((l) => l.includes("evrexec.service"));
      assert.equal(verified.code, 0, verified.stderr);
      assert.deepEqual(about, []);
      const security = await run(
        ["security", "--offline=yes", `${dir}/evrexec.service`],
        dir,
        cleanEnv({}),
        ANALYZE,
      );
      const exposure = security.stdout.match(/Overall exposure level for .*: (\d+\.\d+)/);
      if (exposure !== null) {
        console.log(`exposure ${exposure[1]}`);
        assert.ok(Number(exposure[1]) <= 4, security.stdout.slice(-400));
      }
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("init: a file that exists stops it, with one line, and nothing is written", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "evrexec-init-" });
  try {
    await Deno.writeTextFile(`${tmp}/app.ts`, "// mine\n");
    await assert.rejects(
      () => initProject(tmp),
      (error: Error) =>
        error instanceof InitError &&
        /has app\.ts already; .*nothing was written/.test(error.message),
    );
    assert.deepEqual([...Deno.readDirSync(tmp)].map((e) => e.name), ["app.ts"]);
    assert.equal(await Deno.readTextFile(`${tmp}/app.ts`), "// mine\n");
    const said = await run(["run", "--allow-all", INIT, tmp], tmp, cleanEnv({}));
    assert.equal(said.code, 2);
    assert.equal(said.stdout, "");
    assert.equal(said.stderr.trim().split("\n").length, 1, said.stderr);
    assert.match(said.stderr, /^evrexec init: .* has app\.ts already/);
    const twice = await run(["run", "--allow-all", INIT, "a", "b"], tmp, cleanEnv({}));
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /^evrexec init: give at most one DIR/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("init: the host's command line runs it (mod.ts init DIR), and its --help names it", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "evrexec-init-" });
  const mod = new URL("../mod.ts", import.meta.url).pathname;
  try {
    const wrote = await run(["run", "--allow-all", mod, "init", "app"], tmp, cleanEnv({}));
    assert.equal(wrote.code, 0, wrote.stderr);
    assert.match(wrote.stdout, /^Wrote a project into .*\/app: deno\.json, /);
    assert.deepEqual(
      [...Deno.readDirSync(`${tmp}/app`)].map((e) => e.name).sort(),
      [...PROJECT_FILES].sort(),
    );
    const help = await run(["run", "--allow-all", mod, "--help"], tmp, cleanEnv({}));
    assert.match(help.stdout, /mod\.ts init \[DIR\]/);
    const initHelp = await run(["run", "--allow-all", mod, "init", "--help"], tmp, cleanEnv({}));
    assert.match(initHelp.stdout, /^Usage: evrexec init \[DIR\]/);
    const again = await run(["run", "--allow-all", mod, "init", "app"], tmp, cleanEnv({}));
    assert.equal(again.code, 2);
    assert.match(again.stderr, /^evrexec init: .*app has .* already/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
