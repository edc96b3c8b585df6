// `deno task install` into a temporary DENO_INSTALL_ROOT, then the installed
// commands used as a new user would: from a directory outside the checkout,
// with a fresh DENO_DIR and a home of their own, a script and its socket given
// relative to where the user stands, and the client finding the host's
// socket by the shared default.
import assert from "node:assert/strict";
import { runWithEnv } from "./helpers/clean_env_run.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** Runs `command` with exactly `env`; its exit code and output. */
function run(command: string, args: string[], cwd: string, env: Record<string, string>) {
  return runWithEnv(command, args, cwd, env);
}

/** Reads `stream` until `pattern` shows (or it ends, or `ms` pass); all text read. */
async function readUntil(stream: ReadableStream<Uint8Array>, pattern: RegExp, ms: number) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let pending = reader.read();
  const deadline = Date.now() + ms;
  while (!pattern.test(text) && Date.now() < deadline) {
    const timer = new Promise<null>((resolve) => setTimeout(() => resolve(null), 250));
    const read = await Promise.race([pending, timer]);
    if (read === null) continue;
    if (read.done) break;
    text += read.value;
    pending = reader.read();
  }
  return { text, rest: reader };
}

Deno.test({
  name:
    "install: deno task install puts three commands in $DENO_INSTALL_ROOT/bin that work from anywhere",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "evrexec-install-" });
    const root = `${tmp}/root`, bin = `${tmp}/root/bin`, away = `${tmp}/away`;
    await Deno.mkdir(`${away}/run`, { recursive: true });
    // The test's environment (its proxy and certificates reach npm) less what
    // would point the commands at another install, host or socket.
    const inherited = Deno.env.toObject();
    for (const name of ["DENO_INSTALL_ROOT", "EVREXEC_SOCKET", "XDG_RUNTIME_DIR", "NO_COLOR"]) {
      delete inherited[name];
    }
    const base = {
      ...inherited,
      HOME: tmp,
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
    };
    let host: Deno.ChildProcess | null = null;
    try {
      const started = performance.now();
      const installed = await run(Deno.execPath(), ["task", "--quiet", "install"], ROOT, {
        ...base,
        DENO_INSTALL_ROOT: root,
      });
      assert.equal(installed.code, 0, installed.stderr);
      assert.match(installed.stdout, new RegExp(`into ${bin} \\(\\$DENO_INSTALL_ROOT/bin\\):`));
      for (const name of ["evrexec", "evrexec-rpc", "evrexec-top"]) {
        assert.match(installed.stdout, new RegExp(`^  ${name} `, "m"));
        assert.ok(((await Deno.stat(`${bin}/${name}`)).mode! & 0o111) !== 0, `${name} executable`);
      }
      assert.match(installed.stdout, /is not on your PATH; add it/);
      const shim = await Deno.readTextFile(`${bin}/evrexec`);
      for (const flag of ["--inspect=127.255.255.255:0", "--inspect-publish-uid=http"]) {
        assert.ok(shim.includes(flag), `the host's command lacks ${flag}:\n${shim}`);
      }
      console.log(`installed in ${Math.round(performance.now() - started)} ms`);

      // A new user: elsewhere, a fresh Deno cache, the commands on the PATH.
      const user = { ...base, PATH: `${bin}:${base.PATH}`, DENO_DIR: `${tmp}/deno-dir` };
      const version = await run(`${bin}/evrexec`, ["--version"], away, user);
      assert.equal(version.code, 0, version.stderr);
      assert.match(version.stdout, /^evrexec-deno \d+\.\d+\.\d+ \(deno /);
      assert.doesNotMatch(version.stderr, /Debugger listening/);
      const help = await run("evrexec", ["--help"], away, user);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /^Usage: /);
      for (const client of ["evrexec-rpc", "evrexec-top"]) {
        const said = await run(client, ["--help"], away, user);
        assert.equal(said.code, 0, said.stderr);
        assert.match(said.stdout, /^Usage: .*\n\n/);
      }

      // A script beside the user, named relative to where they stand; the
      // client finds the host's socket by the default both compute.
      await Deno.writeTextFile(
        `${away}/app.ts`,
        `import { KSR } from "@evrexec/deno/kemi";
export async function tick(_index: string): Promise<void> {
  while (!KSR.shutdown.aborted) await new Promise((resolve) => setTimeout(resolve, 100));
}
export function hello(data: string): string {
  return "hello, " + data;
}
`,
      );
      const env = { ...user, XDG_RUNTIME_DIR: `${away}/run` };
      host = new Deno.Command("evrexec", {
        args: ["--exec", "name=tick", "app.ts"],
        cwd: away,
        env,
        clearEnv: true,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const ready = await readUntil(host.stderr, /host ready: .*RPC on (\S+)/, 30_000);
      assert.match(ready.text, new RegExp(`RPC on ${away}/run/evrexec.sock`), ready.text);
      assert.doesNotMatch(ready.text, /Debugger listening/);
      const called = await run("evrexec-rpc", ["evrexec.run", "hello", "away"], away, env);
      assert.equal(called.code, 0, called.stderr);
      assert.equal(called.stdout, "hello, away\n");
      host.kill("SIGTERM");
      const status = await host.status;
      host = null;
      assert.equal(status.code, 0);
      await ready.rest.cancel();
    } finally {
      if (host !== null) {
        host.kill("SIGKILL");
        await host.status;
      }
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
