// Issue 24's "done when", as a new user would do it, from a fresh clone of
// this repository (its committed HEAD): `git clone` into a temporary
// directory, `deno task install` into a temporary DENO_INSTALL_ROOT with a
// fresh Deno cache, `evrexec init` in a directory of the user's own, a
// function written into app.ts, `deno task test` in the project, the
// installed `evrexec` started there under a notify socket the test binds
// (READY=1, a reload, STOPPING=1), and the new function called from the
// project's directory by every caller in CALLERS. Skipped where this
// checkout is not a git work tree.
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { ROOT } from "./helpers/host.ts";
import { NotifySocket } from "./helpers/notify_socket.ts";
import { runWithEnv } from "./helpers/clean_env_run.ts";

const decoder = new TextDecoder();

/** Where the user stands and what their shell has. */
interface UserShell {
  /** The project's directory (`evrexec init`'s). */
  readonly project: string;
  /** The environment: PATH with the installed commands, HOME, DENO_DIR, … */
  readonly env: Record<string, string>;
  /** The host's RPC socket (its default under `$XDG_RUNTIME_DIR`). */
  readonly socket: string;
}

/** One way a user calls the host's function `shout` with "hi", from the project's directory. */
interface Caller {
  /** What it is, for messages. */
  readonly name: string;
  /** Calls `shout hi`; resolves with what the tool printed (the test wants "HI" in it). */
  readonly call: (shell: UserShell) => Promise<string>;
}

/** True when `tool` is on the PATH (Kamailio's tools are optional: CI installs them). */
function installed(tool: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${tool}`] }).outputSync().success;
  } catch {
    return false;
  }
}

/**
 * The callers: the client, and Kamailio's own tools where installed
 * (kamcmd over `--rpc-ctl`, kamctl over `--rpc-fifo`; kamcli has its own test,
 * `tests/kamcli_test.ts`), with the options they need in {@link hostArgs}.
 */
const CALLERS: Caller[] = [
  {
    name: "evrexec-rpc (no --socket: it finds the host's default)",
    call: async (shell) => {
      const out = await sh(["evrexec-rpc", "evrexec.run", "shout", "hi"], shell.project, shell.env);
      assert.equal(out.code, 0, out.stderr);
      return out.stdout;
    },
  },
  ...(installed("kamcmd")
    ? [{
      name: "kamcmd over --rpc-ctl",
      call: async (shell: UserShell) => {
        const run = dirname(shell.socket);
        const args = ["kamcmd", "-s", `unix:${run}/kamailio_ctl`, "evrexec.run", "shout", "hi"];
        const out = await sh(args, shell.project, shell.env);
        assert.equal(out.code, 0, out.stderr);
        return out.stdout;
      },
    }]
    : []),
  ...(installed("kamctl")
    ? [{
      name: "kamctl rpc over --rpc-fifo",
      call: async (shell: UserShell) => {
        const env = { ...shell.env, RPCFIFOPATH: `${dirname(shell.socket)}/kamailio_rpc.fifo` };
        const out = await sh(["kamctl", "rpc", "evroute.run", "shout", "hi"], shell.project, env);
        assert.equal(out.code, 0, out.stderr);
        return out.stdout;
      },
    }]
    : []),
];

/** Arguments the test adds to `evrexec --config evrexec.jsonc` (for the callers' transports). */
function hostArgs(run: string): string[] {
  return [
    ...(installed("kamcmd") ? ["--rpc-ctl", `unix:${run}/kamailio_ctl`] : []),
    ...(installed("kamctl") ? ["--rpc-fifo", `${run}/kamailio_rpc.fifo`] : []),
  ];
}

function sh(args: string[], cwd: string, env: Record<string, string>) {
  return runWithEnv(args[0], args.slice(1), cwd, env);
}

async function isGitWorkTree(): Promise<boolean> {
  try {
    const out = await new Deno.Command("git", {
      args: ["-C", ROOT, "rev-parse", "--is-inside-work-tree"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success && decoder.decode(out.stdout).trim() === "true";
  } catch {
    return false;
  }
}

Deno.test({
  name: "fresh clone: install, evrexec init, a function, deno task test, run under notify, call it",
  sanitizeResources: false,
  fn: async () => {
    if (!await isGitWorkTree()) {
      console.log(`skipped: ${ROOT} is not a git work tree`);
      return;
    }
    const started = performance.now();
    const tmp = await Deno.makeTempDir({ prefix: "evrexec-fresh-" });
    const figures: string[] = [];
    const step = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
      const at = performance.now();
      const result = await run();
      figures.push(`${what} ${Math.round(performance.now() - at)} ms`);
      return result;
    };
    let host: Deno.ChildProcess | null = null;
    let notify: NotifySocket | null = null;
    try {
      for (const dir of ["home", "run", "work"]) await Deno.mkdir(`${tmp}/${dir}`);
      await Deno.chmod(`${tmp}/run`, 0o700);
      // The machine's own settings (its proxy and CA certificates) stay; what would
      // point at another install, cache, socket or service manager goes.
      const machine = Deno.env.toObject();
      for (const name of Object.keys(machine)) {
        if (/^(EVREXEC_|DENO_|XDG_|NOTIFY_SOCKET$|WATCHDOG_)/.test(name)) delete machine[name];
      }
      const env: Record<string, string> = {
        ...machine,
        HOME: `${tmp}/home`,
        PATH: [
          `${tmp}/root/bin`,
          dirname(Deno.execPath()),
          "/usr/bin",
          "/bin",
          "/usr/sbin",
          "/sbin",
        ].join(":"),
        DENO_INSTALL_ROOT: `${tmp}/root`,
        DENO_DIR: `${tmp}/deno-dir`,
        XDG_RUNTIME_DIR: `${tmp}/run`,
        NO_COLOR: "1",
      };
      const clone = `${tmp}/evrexec`;
      const cloned = await step("clone", () => sh(["git", "clone", "-q", ROOT, clone], tmp, env));
      assert.equal(cloned.code, 0, cloned.stderr);

      // README: the third command.
      const installed = await step("install", () => sh(["deno", "task", "install"], clone, env));
      assert.equal(installed.code, 0, installed.stdout + installed.stderr);
      assert.match(installed.stdout, /evrexec-rpc/);
      const version = await sh(["evrexec", "--version"], `${tmp}/work`, env);
      assert.match(version.stdout, /^evrexec-deno /);

      // A project of the user's own, with a function written into it.
      const inited = await step("init", () => sh(["evrexec", "init", "app"], `${tmp}/work`, env));
      assert.equal(inited.code, 0, inited.stderr);
      assert.match(inited.stdout, /^ {2}cd app$/m);
      const project = `${tmp}/work/app`;
      await Deno.writeTextFile(
        `${project}/app.ts`,
        "\n/** RPC: the data, shouted. */\nexport function shout(data: string): string {\n" +
          "  return data.toUpperCase();\n}\n",
        { append: true },
      );
      const tested = await step("deno task test", () => sh(["deno", "task", "test"], project, env));
      assert.equal(tested.code, 0, tested.stdout + tested.stderr);
      assert.match(tested.stdout, /ok \| 2 passed \| 0 failed/);

      // Under a systemd-style notify socket, with a watchdog.
      notify = await NotifySocket.bind(`${tmp}/notify.sock`);
      const hostEnv = { ...env, NOTIFY_SOCKET: `${tmp}/notify.sock`, WATCHDOG_USEC: "2000000" };
      host = new Deno.Command("evrexec", {
        args: ["--config", "evrexec.jsonc", ...hostArgs(`${tmp}/run`)],
        cwd: project,
        env: hostEnv,
        clearEnv: true,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      let log = "";
      const logged = (async () => {
        for await (const chunk of host.stderr.pipeThrough(new TextDecoderStream())) log += chunk;
      })();
      const ready = await step("READY=1", () => notify!.waitFor(/^READY=1\n/, 30_000));
      const shell: UserShell = { project, env, socket: `${tmp}/run/evrexec.sock` };
      assert.ok(ready.includes(`RPC on ${shell.socket}`), ready);
      for (const caller of CALLERS) {
        const said = await step(caller.name, () => caller.call(shell));
        assert.match(said, /\bHI\b/, `${caller.name} printed ${JSON.stringify(said)}`);
      }
      host.kill("SIGHUP");
      await notify.waitFor(/^READY=1\nSTATUS=reloaded \(version 2\)/);
      host.kill("SIGTERM");
      const status = await host.status;
      await logged;
      host = null;
      assert.equal(status.code, 0, log);
      const notes = notify.notes;
      assert.match(notes.at(-1)!, /^STOPPING=1\n/);
      assert.ok(notes.some((n) => /^RELOADING=1\nMONOTONIC_USEC=\d+\n/.test(n)), notes.join("|"));
      assert.doesNotMatch(log, /WRN|ERR|Debugger listening/, log);
      console.log(`${figures.join(", ")}; all ${Math.round(performance.now() - started)} ms`);
    } finally {
      if (host !== null) {
        host.kill("SIGKILL");
        await host.status;
      }
      await notify?.close();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
