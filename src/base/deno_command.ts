/**
 * The deno binary as a tool of the host (`deno check`, `deno info`): run in
 * the script's directory, so that Deno finds the script's own `deno.json`.
 *
 * @module
 */

import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "./errors.ts";

/** Longest run of one deno subcommand (a first check may download remote imports). */
const DENO_COMMAND_TIMEOUT_MS = 300_000;

/** What a deno subcommand printed, and how it ended. */
export interface DenoOutput {
  /** The exit code. */
  readonly code: number;
  /** Standard output, as text. */
  readonly stdout: string;
  /** Standard error, as text. */
  readonly stderr: string;
}

/**
 * Throws a {@link ConfigError} unless the host may run the deno binary that
 * runs it (`--allow-run` for `Deno.execPath()`); `option` is the command-line
 * option that needs it, `tool` the subcommand it runs.
 */
export function requireDenoRun(option: string, tool: string): void {
  const command = Deno.execPath();
  if (Deno.permissions.querySync({ name: "run", command }).state === "granted") return;
  throw new ConfigError(
    `${option} runs "${tool}" and needs --allow-run for the deno binary: ${
      allowRunAdvice(command)
    }`,
  );
}

/**
 * What to do about a missing `--allow-run` for `command` (the deno binary):
 * the commands that give it, and the flag to add to `deno run`; the binary's
 * path only where it stays put (not the cache `npx deno` runs from, which
 * changes with every version and which `deno task` cannot take anyway).
 */
export function allowRunAdvice(command: string): string {
  const flag = /\/_npx\//.test(command) ? "--allow-run" : `--allow-run=${command} (or --allow-run)`;
  return `deno task dev and the installed evrexec command give it; with deno run, add ${flag}`;
}

/**
 * Runs `deno <args>` in the directory of `scriptUrl`. Colours are kept only
 * when `color` is true; Rust backtraces are always left out.
 */
export async function runDeno(
  args: readonly string[],
  scriptUrl: string,
  color = false,
): Promise<DenoOutput> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [...args],
    cwd: dirname(fileURLToPath(scriptUrl)),
    env: color ? { RUST_BACKTRACE: "0" } : { RUST_BACKTRACE: "0", NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(DENO_COMMAND_TIMEOUT_MS),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
