/**
 * The commands `deno task install` puts on the PATH: each one's name, the
 * module of the checkout it runs, and the deno flags baked into it.
 *
 * @module
 */

import { CLIENT_FLAGS, HOST_FLAGS, runDenoFlag, UPTIME_FLAG } from "./deno_flags.ts";

/** One installed command. */
export interface InstalledCommand {
  /** Its name on the PATH. */
  readonly name: string;
  /** The module it runs, relative to the checkout's root. */
  readonly entry: string;
  /** The `deno run` flags baked into it. */
  readonly flags: readonly string[];
  /** What it is, for the installer's output. */
  readonly what: string;
}

/**
 * The three commands. The host gets `--allow-run` for the deno binary that
 * installs it (`--watch`, `--check` and `isolation=process` run it), and the
 * boot clock for systemd's `MONOTONIC_USEC`.
 */
export function installedCommands(denoPath: string): readonly InstalledCommand[] {
  return [
    {
      name: "evrexec",
      entry: "mod.ts",
      flags: [...HOST_FLAGS, UPTIME_FLAG, runDenoFlag(denoPath)],
      what: "the host",
    },
    {
      name: "evrexec-rpc",
      entry: "src/client/main.ts",
      flags: CLIENT_FLAGS,
      what: "the RPC client",
    },
    {
      name: "evrexec-top",
      entry: "src/client/top.ts",
      flags: CLIENT_FLAGS,
      what: "the live view of a host",
    },
  ];
}
