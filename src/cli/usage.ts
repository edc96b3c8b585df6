/**
 * The text `--help` prints: every option of the host, one entry each, from
 * the table of options.
 *
 * @module
 */

import { HOST_OPTIONS, type HostOption } from "./host_options.ts";

/** Where the text of an option starts. */
const TEXT_COLUMN = 28;

function optionLines(option: HostOption): string[] {
  const flag = `${option.short ? `  -${option.short}, ` : "      "}--${option.name}${
    option.arg ? ` ${option.arg}` : ""
  }`;
  const [first, ...rest] = option.help;
  return [
    `${flag.padEnd(TEXT_COLUMN - 1)} ${first}`,
    ...rest.map((line) => `${" ".repeat(TEXT_COLUMN)}${line}`),
  ];
}

/** The usage text `--help` prints. */
export const USAGE = `Usage: deno run <permissions> mod.ts [options] SCRIPT
       deno run <permissions> mod.ts --config FILE [options] [SCRIPT]
       deno run <permissions> mod.ts init [DIR]
(Installed by deno task install, the same as evrexec [options] SCRIPT, evrexec init.)

Runs exec tasks of a KEMI script in dedicated workers (heap-capped threads, or
processes) and serves RPC on a Unix socket, as Kamailio's evrexec module does.

Options:
${HOST_OPTIONS.flatMap(optionLines).join("\n")}

A config file (JSON with comments) holds "script", "tasks" (spec strings or
objects with the spec's keys) and any option above under its long name, such
as "rpc-workers": 4 (docs/configuration.md). SIGHUP reloads it with the script.

init [DIR] writes a new project into DIR (default: here): a script, its tests,
a commented config, a deno.json with tasks and a systemd unit (init --help).

Under systemd (Type=notify, $NOTIFY_SOCKET) the host sends READY=1 once every
exec worker has loaded and the socket answers, RELOADING=1/READY=1 around
reloads, STOPPING=1, STATUS= lines, and WATCHDOG=1 at half $WATCHDOG_USEC
(docs/deployment.md).

Exit codes: 0 after a normal shutdown, 2 for a usage or configuration error,
1 for anything else fatal.`;
