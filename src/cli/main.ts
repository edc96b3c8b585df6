/**
 * The host's command line: parses options, runs the host until SIGINT or
 * SIGTERM, and maps errors to exit codes.
 *
 * @module
 */

import { Host } from "../host/host.ts";
import { flushLog, log, setupLogging } from "../host/log.ts";
import { NAME, versionLine } from "../host/version.ts";
import { messageOf } from "../shared/error_text.ts";
import { ConfigError, EXIT_FATAL, EXIT_OK, EXIT_USAGE } from "../shared/errors.ts";
import { parseCli } from "./args.ts";
import { handleSignals, reloadOnSighup, reopenLogOnSigusr2 } from "./signals.ts";
import { keepDebuggerShut } from "./debugger_signal.ts";
import { parkInspector } from "../shared/inspector_park.ts";
import { TypeCheckError } from "../dev/type_check.ts";
import { USAGE } from "./usage.ts";

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
    const park = parkInspector(); // first: opening the log file may wait (a FIFO)
    await setupLogging(request.config.logLevel, request.logFormat, request.config.logFile);
    await keepDebuggerShut(park);
    reopenLogOnSigusr2();
    const early = (signal: Deno.Signal) => () => {
      log().info("{signal} received during start-up; exiting", { signal });
      Deno.exit(EXIT_OK);
    };
    const earlyInt = early("SIGINT"), earlyTerm = early("SIGTERM");
    // SIGHUP's default action ends the process: during start-up it is noted,
    // and the host reloads once it is ready.
    let hupDuringStartup = false;
    const earlyHup = () => {
      if (!hupDuringStartup) log().info("SIGHUP received during start-up; reloading once ready");
      hupDuringStartup = true;
    };
    Deno.addSignalListener("SIGINT", earlyInt);
    Deno.addSignalListener("SIGTERM", earlyTerm);
    Deno.addSignalListener("SIGHUP", earlyHup);
    const host = await Host.start(request.config, request.reread);
    Deno.removeSignalListener("SIGINT", earlyInt);
    Deno.removeSignalListener("SIGTERM", earlyTerm);
    const serving = handleSignals(host);
    Deno.removeSignalListener("SIGHUP", earlyHup);
    if (hupDuringStartup) reloadOnSighup(host);
    await serving;
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
