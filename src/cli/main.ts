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
import { escapeControls } from "../shared/control_chars.ts";
import { ConfigError, EXIT_FATAL, EXIT_OK, EXIT_USAGE } from "../base/errors.ts";
import { parseCli } from "./args.ts";
import { handleSignals, reloadOnSighup, reopenLogOnSigusr2 } from "./signals.ts";
import { keepDebuggerShut } from "./debugger_signal.ts";
import { parkInspector } from "../shared/inspector_park.ts";
import { TypeCheckError } from "../dev/type_check.ts";
import { USAGE } from "./usage.ts";
import { UNREAD_ENV } from "./host_options.ts";
import { initMain } from "./init_command.ts";
import { ServiceNotify } from "./service_notify.ts";
import { SdNotifier } from "../base/sd_notify.ts";

/**
 * Runs the host's command line: parses the options, starts the host and
 * serves until SIGINT or SIGTERM, telling systemd when it runs under
 * `Type=notify`; `init [DIR]` writes a new project instead. Every error
 * ends in one line on stderr.
 *
 * @param args The arguments after the program (`Deno.args`).
 * @returns The process exit code: 0 after a normal shutdown (or `--help`,
 *   `--version`), 2 for a usage or configuration error, 1 for anything else fatal.
 */
export async function main(args: readonly string[]): Promise<number> {
  if (args[0] === "init") return await initMain(args.slice(1));
  let debug = false;
  let service: ServiceNotify | null = null;
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
    const park = parkInspector(); // first: opening the log file may wait (a FIFO)
    await setupLogging(logLevel, logFormat, logFile);
    await keepDebuggerShut(park);
    reopenLogOnSigusr2();
    for (const name of UNREAD_ENV) {
      log().warn(
        "{name} is not read (no --allow-env for it): this host is in no fleet unless --cluster " +
          'or the config file\'s "cluster" says so',
        { name },
      );
    }
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
    const notify = service = new ServiceNotify();
    const host = await Host.start(request.config, {
      source: request.reread,
      onFatal(error) {
        logVerbatim(log(), "fatal", `${error.message}; exiting ${error.exitWhy}`);
        notify.fatal(error.message).finally(() => Deno.exit(EXIT_FATAL));
      },
      onReload: (done, error) => notify.reload(done, error),
    });
    notify.ready(host);
    Deno.removeSignalListener("SIGINT", earlyInt);
    Deno.removeSignalListener("SIGTERM", earlyTerm);
    const serving = handleSignals(host, () => notify.stopping());
    Deno.removeSignalListener("SIGHUP", earlyHup);
    if (hupDuringStartup) reloadOnSighup(host);
    await serving;
    return EXIT_OK;
  } catch (error) {
    if (error instanceof TypeCheckError && error.report !== "") console.error(error.report);
    // A mistake found before the host started (the command line, the config
    // file) is told to systemd too: its STATUS= line is what systemctl shows.
    service ??= new ServiceNotify(new SdNotifier({ report: (line) => console.error(line) }));
    await service.fatal(messageOf(error));
    // Errors quote values and paths the user gave: their control characters are escaped.
    if (error instanceof ConfigError) {
      console.error(`${NAME}: ${escapeControls(error.message)}`);
      return EXIT_USAGE;
    }
    const why = debug && error instanceof Error && error.stack
      ? escapeControls(error.stack, { keepLines: true })
      : escapeControls(messageOf(error));
    console.error(`${NAME}: fatal: ${why}`);
    return EXIT_FATAL;
  } finally {
    service?.close();
    await flushLog(1000);
  }
}
