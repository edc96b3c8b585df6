/**
 * Connecting to a Unix socket as another user (uid and gid 65534, through
 * `setpriv`), with a probe that does not depend on where Deno is installed.
 *
 * @module
 */

/** The uid and gid the probe runs as. */
export const NOBODY = 65534;

/** A way to try a connection as {@link NOBODY}. */
export interface NobodyProbe {
  /** What the probe runs, for messages. */
  readonly name: string;
  /** Tries to connect to `path`: "connected", or the error's name (PermissionDenied, NotFound). */
  connect(path: string): Promise<string>;
}

const PYTHON_PROBE = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
    print("connected")
except PermissionError:
    print("PermissionDenied")
except FileNotFoundError:
    print("NotFound")
except OSError as e:
    print(type(e).__name__)
`;

const DENO_PROBE =
  `try { const c = await Deno.connect({ transport: "unix", path: Deno.args[0] }); ` +
  `c.close(); console.log("connected"); } catch (e) { console.log(e.constructor.name); }`;

/** Runs `argv` as nobody; resolves with its output, trimmed (stdout, else stderr). */
async function runAsNobody(argv: readonly string[], env: Record<string, string> = {}) {
  try {
    const output = await new Deno.Command("setpriv", {
      args: [
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        "--clear-groups",
        "env",
        ...Object.entries(env).map(([key, value]) => `${key}=${value}`),
        ...argv,
      ],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).output();
    const decoder = new TextDecoder();
    return decoder.decode(output.stdout).trim() || decoder.decode(output.stderr).trim();
  } catch (error) {
    return String(error);
  }
}

/** Every `python3` on the PATH, then the usual system one. */
function pythons(): string[] {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter((dir) => dir !== "");
  const found = [...dirs.map((dir) => `${dir}/python3`), "/usr/bin/python3"].filter((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
  return [...new Set(found)];
}

/** A python3 that nobody can run, if there is one. */
function pythonProbes(): NobodyProbe[] {
  return pythons().map((python) => ({
    name: python,
    connect: (path) => runAsNobody([python, "-c", PYTHON_PROBE, path]),
  }));
}

/** A copy of Deno that anyone may run, with a cache and home of its own. */
interface DenoCopy {
  readonly dir: string;
  readonly deno: string;
  readonly env: Record<string, string>;
}

let copying: Promise<DenoCopy> | null = null;

/**
 * A copy of the running Deno binary in a temporary directory anyone may
 * enter (Deno's own directory may be private, as an npm cache under /root
 * is), made once per test process. The copy is removed when the process ends.
 */
function copyDeno(): Promise<DenoCopy> {
  return copying ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "evrexec-probe-" });
    addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    await Deno.chmod(dir, 0o777); // nobody's DENO_DIR and HOME too
    const deno = `${dir}/deno`;
    await Deno.copyFile(Deno.execPath(), deno);
    await Deno.chmod(deno, 0o755);
    return { dir, deno, env: { DENO_DIR: `${dir}/cache`, HOME: dir, NO_COLOR: "1" } };
  })();
}

async function denoCopyProbe(): Promise<NobodyProbe> {
  const { dir, deno, env } = await copyDeno();
  return {
    name: `a copy of deno in ${dir}`,
    connect: (path) => runAsNobody([deno, "eval", "--quiet", DENO_PROBE, path], env),
  };
}

/** Deno run as {@link NOBODY}. */
export interface NobodyDeno {
  /**
   * Starts `deno run --quiet --unstable-net --allow-all SCRIPT ARGS` as
   * nobody, on a copy of `script` that nobody can read; stdin, stdout and
   * stderr piped.
   */
  spawn(script: string, args: readonly string[]): Promise<Deno.ChildProcess>;
}

/**
 * Deno as nobody, or null and the reason when it cannot run here (not
 * root, no `setpriv`). The script run must import nothing: it runs from a
 * copy.
 */
export async function denoAsNobody(): Promise<{ deno: NobodyDeno | null; why: string }> {
  if (Deno.uid() !== 0) return { deno: null, why: "switching users needs root" };
  const setpriv = await runAsNobody(["true"]);
  if (setpriv !== "") return { deno: null, why: `setpriv does not work here: ${setpriv}` };
  const copy = await copyDeno();
  return {
    why: "",
    deno: {
      async spawn(script, args) {
        const name = script.slice(script.lastIndexOf("/") + 1);
        const copied = `${copy.dir}/${name}`;
        await Deno.copyFile(script, copied);
        await Deno.chmod(copied, 0o644);
        return new Deno.Command("setpriv", {
          args: [
            `--reuid=${NOBODY}`,
            `--regid=${NOBODY}`,
            "--clear-groups",
            "env",
            ...Object.entries(copy.env).map(([key, value]) => `${key}=${value}`),
            copy.deno,
            "run",
            "--quiet",
            "--unstable-net",
            "--allow-all",
            copied,
            ...args,
          ],
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
      },
    },
  };
}

/**
 * Finds a probe that really runs as nobody: it must answer "NotFound" for a
 * socket path that does not exist. Tries python3, then a copy of Deno
 * (`EVREXEC_NOBODY_PROBE=deno` goes straight to the copy). Resolves with
 * null and the reason when none can run here.
 */
export async function findNobodyProbe(): Promise<{ probe: NobodyProbe | null; why: string }> {
  if (Deno.uid() !== 0) return { probe: null, why: "switching users needs root" };
  const setpriv = await runAsNobody(["true"]);
  if (setpriv !== "") return { probe: null, why: `setpriv does not work here: ${setpriv}` };
  const missing = `/tmp/evrexec-no-such-socket-${crypto.randomUUID()}`;
  const tried: string[] = [];
  const python = Deno.env.get("EVREXEC_NOBODY_PROBE") === "deno" ? [] : pythonProbes();
  for (const candidate of python) {
    const answer = await candidate.connect(missing);
    if (answer === "NotFound") return { probe: candidate, why: "" };
    tried.push(`${candidate.name}: ${answer.split("\n")[0]}`);
  }
  const copy = await denoCopyProbe().catch((error) => error as Error);
  if (!(copy instanceof Error)) {
    const answer = await copy.connect(missing);
    if (answer === "NotFound") return { probe: copy, why: "" };
    tried.push(`${copy.name}: ${answer.split("\n")[0]}`);
  } else tried.push(`copying deno: ${copy.message}`);
  return { probe: null, why: `no probe runs as uid ${NOBODY} (${tried.join("; ")})` };
}
