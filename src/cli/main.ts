/**
 * The host's command line: parses options into a {@link HostConfig}, runs
 * the host until SIGINT or SIGTERM, and maps errors to exit codes.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ConfigError, EXIT_FATAL, EXIT_OK, EXIT_USAGE, messageOf } from "../shared/errors.ts";
import { parseExecSpec } from "../tasks/spec.ts";
import { Host, type HostConfig } from "../host/host.ts";
import { defaultMemoryLimitMiB } from "../host/memory_watchdog.ts";
import { log, LOG_FORMATS, LOG_LEVELS, type LogFormat, setupLogging } from "../host/log.ts";
import { choiceOption, intOption, modeOption, parsingArgs } from "./option_values.ts";
import { DEFAULT_SOCKET_MODE, defaultSocketPath } from "../rpc/socket_file.ts";
import { resolveScript } from "./script_url.ts";
import { NAME, versionLine } from "../host/version.ts";

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
      --shutdown-timeout MS how long a stop waits for running calls and loops (default 5000)
      --memory-limit MIB    RSS past which the biggest worker is stopped (default: 3/4 of
                            one isolate's heap limit; 0 turns the watchdog off)
      --max-connections N   RPC connections served at once (default 512)
      --idle-timeout MS     close a connection without progress for this long (default 120000)
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
        "shutdown-timeout": { type: "string" },
        "memory-limit": { type: "string" },
        "max-connections": { type: "string" },
        "idle-timeout": { type: "string" },
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
    shutdownTimeoutMs: intOption(
      "--shutdown-timeout",
      values["shutdown-timeout"],
      5000,
      0,
      3_600_000,
    ),
    memoryLimitMiB: intOption(
      "--memory-limit",
      values["memory-limit"],
      defaultMemoryLimitMiB(),
      0,
      1_048_576,
    ),
    maxConnections: intOption("--max-connections", values["max-connections"], 512, 1, 100_000),
    idleTimeoutMs: intOption("--idle-timeout", values["idle-timeout"], 120_000, 100, 86_400_000),
    scriptUrl: resolveScript(positionals[0]),
  };
  if (config.socket === "") throw new ConfigError("--socket must not be empty");
  const logFormat = choiceOption("--log-format", values["log-format"], LOG_FORMATS, "text");
  return { kind: "run", config, logFormat };
}

/**
 * A second stop signal within this many ms of the first is taken as the
 * same one: Ctrl-C under `deno task` reaches the host twice, once from the
 * terminal and once forwarded.
 */
const DUPLICATE_SIGNAL_MS = 1000;

/**
 * Serves signals until the host has stopped: SIGHUP reloads the script;
 * SIGINT or SIGTERM stops gracefully, and a second one stops at once.
 */
function handleSignals(host: Host): Promise<void> {
  return new Promise((resolve) => {
    let stopping = 0;
    const stop = (signal: Deno.Signal) => {
      if (stopping > 0 && performance.now() - stopping < DUPLICATE_SIGNAL_MS) return;
      if (stopping > 0) {
        log().warn("second {signal}: stopping now", { signal });
        host.stop();
        return resolve();
      }
      stopping = performance.now();
      log().info("{signal} received; stopping (up to {ms} ms)", {
        signal,
        ms: host.config.shutdownTimeoutMs,
      });
      host.shutdown().then(() => {
        log().info("stopped");
        resolve();
      });
    };
    Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
    Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
    Deno.addSignalListener("SIGHUP", () => {
      log().info("SIGHUP received; reloading the script");
      host.reload().catch((error) => log().error("{error}", { error: messageOf(error) }));
    });
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
    const early = (signal: Deno.Signal) => () => {
      log().info("{signal} received during start-up; exiting", { signal });
      Deno.exit(EXIT_OK);
    };
    const earlyInt = early("SIGINT"), earlyTerm = early("SIGTERM");
    Deno.addSignalListener("SIGINT", earlyInt);
    Deno.addSignalListener("SIGTERM", earlyTerm);
    const host = await Host.start(request.config);
    Deno.removeSignalListener("SIGINT", earlyInt);
    Deno.removeSignalListener("SIGTERM", earlyTerm);
    await handleSignals(host);
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
