/**
 * The `evrexec init [DIR]` command: writes a new project (see
 * `init_project.ts`) and says what it wrote and what to run next.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { InitError, initProject } from "./init_project.ts";

/** The usage text of `evrexec init`. */
export const INIT_USAGE = `Usage: evrexec init [DIR]

Writes a small project into DIR (default: the current directory), created if
missing: a KEMI script (app.ts) with one exec task and one RPC function, its
unit tests (app_test.ts), a commented config (evrexec.jsonc), a deno.json
with the tasks start, dev, test and check, a systemd unit (evrexec.service)
and a README. Overwrites nothing: if one of these files exists, it writes
none. The project runs the host from this checkout.

Options:
  -h, --help   this text`;

/** Runs `evrexec init`; resolves with the exit code (0, 2 for a usage error or a refusal). */
export async function initMain(args: readonly string[]): Promise<number> {
  let dir = ".";
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: true,
    });
    if (values.help) {
      console.log(INIT_USAGE);
      return 0;
    }
    if (positionals.length > 1) throw new Error("give at most one DIR (see --help)");
    dir = positionals[0] ?? ".";
  } catch (error) {
    console.error(`evrexec init: ${error instanceof Error ? error.message : error}`);
    return 2;
  }
  try {
    const { dir: written, files } = await initProject(dir);
    console.log(`Wrote a project into ${written}: ${files.join(", ")}. Next:`);
    // Where to go as the user named it (a relative DIR stays relative).
    const target = dir === "." || dir === "" ? written : dir;
    const shown = /^[A-Za-z0-9_\/.,:@%+=-]+$/.test(target)
      ? target
      : `'${target.replaceAll("'", `'\\''`)}'`;
    if (written !== Deno.cwd()) console.log(`  cd ${shown}`);
    console.log("  deno task test     # the unit tests of app.ts");
    console.log("  deno task start    # the host; then: evrexec-rpc evrexec.run hello you");
    return 0;
  } catch (error) {
    if (!(error instanceof InitError)) throw error;
    console.error(`evrexec init: ${error.message}`);
    return 2;
  }
}

if (import.meta.main) Deno.exit(await initMain(Deno.args));
