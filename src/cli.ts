/**
 * The host's command line: parses options into a {@link HostConfig}, runs
 * the host until SIGINT or SIGTERM, and maps errors to exit codes.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ConfigError, EXIT_FATAL, EXIT_OK, EXIT_USAGE, messageOf } from "./errors.ts";
import { parseExecSpec } from "./exec_spec.ts";
import { Host, type HostConfig } from "./host.ts";
import { log, LOG_FORMATS, LOG_LEVELS, type LogFormat, setupLogging } from "./log.ts";
import { choiceOption, intOption, modeOption, parsingArgs } from "./options.ts";
import { DEFAULT_SOCKET_MODE, defaultSocketPath } from "./rpc_socket.ts";
import { resolveScript } from "./script_url.ts";
import { NAME, versionLine } from "./version.ts";

/** The usage text `--help` prints. */
export const USAGE = `Usage: deno run <permissions> mod.ts [options] SCRIPT

Runs exec tasks of a KEMI script in dedicated Web Workers and serves RPC on
a Unix socket, as Kamailio's evrexec module does.

Options:
  -e, --exec SPEC           an exec task, name=<fn>;wait=<us>;workers=<N>; once per task
  -s, --socket PATH         the RPC socket (default: $EVREXEC_SOCKET, else
                            $XDG_RUNTIME_DIR/evrexec.sock, else /tmp/evrexec.sock)
      --socket-mode MODE    the socket file's mode, in octal (default 0600)
      --rpc-workers N       warm workers for evrexec.run (default 2)
      --rpc-queue N         calls that may wait for a worker (default 1000)
      --rpc-timeout MS      longest evrexec.run, in milliseconds (default 30000)
  -l, --log-level LEVEL     debug | info | warning | error (default info)
      --log-format FMT      text | json (default text)
  -h, --help                this text
  -V, --version             the version

Exit codes: 0 after a normal shutdown, 2 for a usage or configuration error,
1 for anything else fatal.`;

/** What the command line asks for. */
export type CliRequest =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "run"; readonly config: HostConfig; readonly logFormat: LogFormat };

/** Parses the host's arguments; throws a {@link ConfigError} on any mistake. */
export function parseCli(args: readonly string[]): CliRequest {
  const { values, positionals } = parsingArgs(() =>
    parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: {
        exec: { type: "string", short: "e", multiple: true },
        socket: { type: "string", short: "s" },
        "socket-mode": { type: "string" },
        "rpc-workers": { type: "string" },
        "rpc-queue": { type: "string" },
        "rpc-timeout": { type: "string" },
        "log-level": { type: "string", short: "l" },
        "log-format": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    })
  );
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  if (positionals.length === 0) throw new ConfigError("missing SCRIPT (see --help)");
  if (positionals.length > 1) {
    throw new ConfigError(
      `expected one SCRIPT, got ${positionals.length}: ${positionals.join(" ")}`,
    );
  }
  const config: HostConfig = {
    tasks: (values.exec ?? []).map(parseExecSpec),
    socket: values.socket ?? defaultSocketPath(),
    socketMode: modeOption("--socket-mode", values["socket-mode"], DEFAULT_SOCKET_MODE),
    logLevel: choiceOption("--log-level", values["log-level"], LOG_LEVELS, "info"),
    rpcWorkers: intOption("--rpc-workers", values["rpc-workers"], 2, 1, 256),
    rpcQueue: intOption("--rpc-queue", values["rpc-queue"], 1000, 0, 1_000_000),
    rpcTimeoutMs: intOption("--rpc-timeout", values["rpc-timeout"], 30_000, 1, 86_400_000),
    scriptUrl: resolveScript(positionals[0]),
  };
  if (config.socket === "") throw new ConfigError("--socket must not be empty");
  const logFormat = choiceOption("--log-format", values["log-format"], LOG_FORMATS, "text");
  return { kind: "run", config, logFormat };
}

function waitForStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => resolve(signal));
    }
  });
}

/** Runs the host's command line; resolves with the process exit code. */
export async function main(args: readonly string[]): Promise<number> {
  let debug = false;
  try {
    const request = parseCli(args);
    if (request.kind === "help") {
      console.log(USAGE);
      return EXIT_OK;
    }
    if (request.kind === "version") {
      console.log(versionLine());
      return EXIT_OK;
    }
    debug = request.config.logLevel === "debug";
    setupLogging(request.config.logLevel, request.logFormat);
    const stopSignal = waitForStopSignal();
    const host = await Host.start(request.config);
    const signal = await stopSignal;
    host.stop();
    log().info("{signal} received; stopped", { signal });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${NAME}: ${error.message}`);
      return EXIT_USAGE;
    }
    console.error(
      `${NAME}: fatal: ${debug && error instanceof Error ? error.stack : messageOf(error)}`,
    );
    return EXIT_FATAL;
  }
}
