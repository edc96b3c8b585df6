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

/**
 * A copy of the running Deno binary in a temporary directory anyone may
 * enter (Deno's own directory may be private, as an npm cache under /root
 * is). The copy is removed when the test process ends.
 */
async function denoCopyProbe(): Promise<NobodyProbe> {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-probe-" });
  addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  await Deno.chmod(dir, 0o777); // nobody's DENO_DIR and HOME too
  const deno = `${dir}/deno`;
  await Deno.copyFile(Deno.execPath(), deno);
  await Deno.chmod(deno, 0o755);
  const env = { DENO_DIR: `${dir}/cache`, HOME: dir, NO_COLOR: "1" };
  return {
    name: `a copy of deno in ${dir}`,
    connect: (path) => runAsNobody([deno, "eval", "--quiet", DENO_PROBE, path], env),
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
