/**
 * Whether `--unstable-worker-options` is on. Without it, Deno 2.9 ends the
 * whole process (exit 70, its own message) at the first Web Worker given
 * permissions, and it tells a program nothing of its flags. So the host asks
 * a child deno (which may read `/proc/<pid>/cmdline`, which the host itself
 * may not), and reads the `"unstable"` list of the deno.json files Deno
 * would find. That needs `--allow-run` for the deno binary; without it the
 * answer is "cannot tell".
 *
 * @module
 */

import { dirname, join } from "node:path";
import { ConfigError } from "../base/errors.ts";
import { log } from "../base/log.ts";

const FLAG = "--unstable-worker-options";

/** The command line of process `pid`, read by a child deno; null if it cannot. */
async function commandLine(pid: number): Promise<string[] | null> {
  const code = `try { console.log(JSON.stringify(Deno.readTextFileSync("/proc/${pid}/cmdline")` +
    `.split("\\0"))); } catch { console.log("null"); }`;
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", "--no-config", code],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(20_000),
    }).output();
    return JSON.parse(new TextDecoder().decode(output.stdout)) as string[] | null;
  } catch {
    return null;
  }
}

/** True when a deno.json(c) from the working directory up lists "worker-options" as unstable. */
function configEnables(): boolean {
  try {
    for (let dir = Deno.cwd();; dir = dirname(dir)) {
      for (const name of ["deno.json", "deno.jsonc"]) {
        const text = (() => {
          try {
            return Deno.readTextFileSync(join(dir, name));
          } catch {
            return null;
          }
        })();
        if (text !== null) return /"unstable"\s*:\s*\[[^\]]*"worker-options"/.test(text);
      }
      if (dirname(dir) === dir) return false;
    }
  } catch {
    return false;
  }
}

/** True or false when it can tell whether `--unstable-worker-options` is on; null when not. */
export function workerOptionsEnabled(): Promise<boolean | null> {
  known ??= askWorkerOptions();
  return known;
}

/** The answer, once asked: the flags of a running process do not change. */
let known: Promise<boolean | null> | undefined;

async function askWorkerOptions(): Promise<boolean | null> {
  let command: string;
  try {
    command = Deno.execPath();
  } catch {
    return null; // no read permission for it
  }
  if (Deno.permissions.querySync({ name: "run", command }).state !== "granted") return null;
  const args = await commandLine(Deno.pid);
  if (args === null) return null;
  return args.includes(FLAG) || args.includes("--unstable") || configEnables();
}

/**
 * Throws the one-line error when `--unstable-worker-options` is off: Deno
 * would end the process at the first permissioned Web Worker. When it
 * cannot tell, it says so at debug level only: Deno's own message names the
 * flag if it is missing.
 */
export async function requireWorkerOptions(firstOwner: string): Promise<void> {
  const enabled = await workerOptionsEnabled();
  if (enabled === false) {
    throw new ConfigError(
      `${firstOwner}: allow-* keys in a thread need deno run --unstable-worker-options ` +
        "(the deno tasks pass it), or use isolation=process",
    );
  }
  if (enabled === null) {
    // Not a warning: the deno tasks and the installed commands pass the flag,
    // and a host without it ends at once with Deno's own line saying so.
    log().debug(
      "allow-* keys in a thread need deno run --unstable-worker-options; this host cannot " +
        "check for it (that needs --allow-run for deno): without it Deno exits now, code 70",
    );
  }
}
