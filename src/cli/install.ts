/**
 * `deno task install`: puts `evrexec` (the host), `evrexec-rpc` (the RPC
 * client) and `evrexec-top` on the PATH, from this checkout, with
 * `deno install -g --force`, each with the deno flags it needs baked in.
 * They go to `$DENO_INSTALL_ROOT/bin`, else `$HOME/.deno/bin` (where
 * `deno install -g` puts commands). Each runs this checkout's code with a
 * copy of its `deno.json` (so the host's npm imports resolve wherever the
 * user stands): after moving or updating the checkout, install again.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { type InstalledCommand, installedCommands } from "./installed_commands.ts";
import { withFlags } from "./shim_flags.ts";

/** The usage text of the installer. */
export const INSTALL_USAGE = `Usage: deno task install

Installs evrexec (the host), evrexec-rpc (the RPC client) and evrexec-top
from this checkout into $DENO_INSTALL_ROOT/bin (default ~/.deno/bin),
replacing earlier ones, and says whether that directory is on your PATH.
They run this checkout's code: after moving or updating it, install again.
Remove them with: deno uninstall -g evrexec evrexec-rpc evrexec-top

Options:
  -h, --help   this text`;

/** Where the commands go, and why there. */
export interface InstallRoot {
  /** The root; the commands go to its `bin`. */
  readonly root: string;
  /** Where it came from: "DENO_INSTALL_ROOT" or "HOME". */
  readonly from: "DENO_INSTALL_ROOT" | "HOME";
}

/** The install root `deno install -g` uses: `$DENO_INSTALL_ROOT`, else `$HOME/.deno`; null without either. */
export function installRoot(env: (name: string) => string | undefined): InstallRoot | null {
  const root = env("DENO_INSTALL_ROOT");
  if (root) return { root, from: "DENO_INSTALL_ROOT" };
  const home = env("HOME");
  return home ? { root: `${home}/.deno`, from: "HOME" } : null;
}

/** True when `dir` (or a link to it) is an entry of `path` (a PATH value). */
export function onPath(dir: string, path: string): boolean {
  const real = (p: string) => {
    try {
      return Deno.realPathSync(p);
    } catch {
      return p;
    }
  };
  const wanted = real(dir);
  return path.split(":").some((entry) => entry !== "" && real(entry) === wanted);
}

/** The checkout this module belongs to (two levels up), as a directory path. */
function checkoutRoot(): string {
  const url = new URL("../../", import.meta.url);
  if (url.protocol !== "file:") {
    throw new Error(`run the installer from a checkout on disk, not from ${url.href}`);
  }
  return fileURLToPath(url).replace(/\/$/, "");
}

/** Installs one command; throws with deno's own words when `deno install` fails. */
async function install(command: InstalledCommand, checkout: string, root: string): Promise<void> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "install",
      "--global",
      "--force",
      "--root",
      root,
      "--config",
      `${checkout}/deno.json`,
      "--name",
      command.name,
      ...command.flags,
      `${checkout}/${command.entry}`,
    ],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (output.code !== 0) {
    const said = new TextDecoder().decode(output.stderr).trim().split("\n").slice(0, 20);
    throw new Error(
      `deno install of ${command.name} failed (exit ${output.code}):\n${said.join("\n")}`,
    );
  }
  const shim = `${root}/bin/${command.name}`;
  const text = await Deno.readTextFile(shim);
  const fixed = withFlags(text, command.flags);
  if (fixed !== text) await Deno.writeTextFile(shim, fixed);
}

/** Runs the installer; resolves with the exit code (0, 1 when an install failed, 2 for usage). */
export async function installMain(args: readonly string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: [...args],
      options: { help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      console.log(INSTALL_USAGE);
      return 0;
    }
  } catch (error) {
    console.error(`evrexec install: ${error instanceof Error ? error.message : error}`);
    return 2;
  }
  const env = (name: string) => Deno.env.get(name);
  const where = installRoot(env);
  if (where === null) {
    console.error("evrexec install: neither DENO_INSTALL_ROOT nor HOME is set: set one");
    return 2;
  }
  const bin = `${where.root}/bin`;
  try {
    const checkout = checkoutRoot();
    const commands = installedCommands(Deno.execPath());
    for (const command of commands) await install(command, checkout, where.root);
    const width = Math.max(...commands.map((c) => c.name.length));
    console.log(
      `Installed from ${checkout} into ${bin}` +
        (where.from === "DENO_INSTALL_ROOT" ? " ($DENO_INSTALL_ROOT/bin):" : ":"),
    );
    for (const c of commands) console.log(`  ${c.name.padEnd(width)}  ${c.what}`);
    if (onPath(bin, env("PATH") ?? "")) {
      console.log(`${bin} is on your PATH: try "evrexec --help".`);
    } else {
      console.log(`${bin} is not on your PATH; add it, for example in ~/.profile:`);
      console.log(`  export PATH="${bin}:$PATH"`);
    }
    console.log("They run this checkout's code: after moving or updating it, install again.");
    return 0;
  } catch (error) {
    console.error(`evrexec install: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await installMain(Deno.args));
