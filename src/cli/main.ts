/**
 * The host's command line: parses options, runs the host until SIGINT or
 * SIGTERM, and maps errors to exit codes; a fatal condition the host
 * reports (`onFatal`) is logged and ends the process with exit code 1. Only
 * `cli/` ends the process.
 *
 * @module
 */

import { Host } from "../host/host.ts";
import { flushLog, log, logVerbatim, setupLogging } from "../base/log.ts";
import { NAME, versionLine } from "../base/version.ts";
import { messageOf } from "../shared/error_text.ts";
import { ConfigError, EXIT_FATAL, EXIT_OK, EXIT_USAGE } from "../base/errors.ts";
import { parseCli } from "./args.ts";
import { handleSignals, reopenLogOnSigusr2 } from "./signals.ts";
import { keepDebuggerShut } from "./debugger_signal.ts";
import { TypeCheckError } from "../dev/type_check.ts";
import { USAGE } from "./usage.ts";

/**
 * Runs the host's command line: parses the options, starts the host and
 * serves until SIGINT or SIGTERM. Every error ends in one line on stderr.
 *
 * @param args The arguments after the program (`Deno.args`).
 * @returns The process exit code: 0 after a normal shutdown (or `--help`,
 *   `--version`), 2 for a usage or configuration error, 1 for anything else fatal.
 */
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
    const { logLevel, logFormat, logFile } = request.config;
    await setupLogging(logLevel, logFormat, logFile);
    await keepDebuggerShut();
    reopenLogOnSigusr2();
    const early = (signal: Deno.Signal) => () => {
      log().info("{signal} received during start-up; exiting", { signal });
      Deno.exit(EXIT_OK);
    };
    const earlyInt = early("SIGINT"), earlyTerm = early("SIGTERM");
    Deno.addSignalListener("SIGINT", earlyInt);
    Deno.addSignalListener("SIGTERM", earlyTerm);
    const host = await Host.start(request.config, {
      source: request.reread,
      onFatal(error) {
        logVerbatim(log(), "fatal", `${error.message}; exiting ${error.exitWhy}`);
        Deno.exit(EXIT_FATAL);
      },
    });
    Deno.removeSignalListener("SIGINT", earlyInt);
    Deno.removeSignalListener("SIGTERM", earlyTerm);
    await handleSignals(host);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof TypeCheckError && error.report !== "") console.error(error.report);
    if (error instanceof ConfigError) {
      console.error(`${NAME}: ${error.message}`);
      return EXIT_USAGE;
    }
    console.error(
      `${NAME}: fatal: ${debug && error instanceof Error ? error.stack : messageOf(error)}`,
    );
    return EXIT_FATAL;
  } finally {
    await flushLog(1000);
  }
}
