/**
 * The signals a running host answers: SIGHUP reloads, SIGUSR2 reopens the
 * log file, SIGINT and SIGTERM stop gracefully, and a second one stops at once.
 * SIGUSR1 does nothing (see `debugger_signal.ts`): Deno claims it for its
 * debugger.
 *
 * @module
 */

import type { Host } from "../host/host.ts";
import { log, reopenLogFile } from "../base/log.ts";
import { messageOf } from "../shared/error_text.ts";

/**
 * A second stop signal within this many ms of the first is taken as the
 * same one: Ctrl-C under `deno task` reaches the host twice, once from the
 * terminal and once forwarded.
 */
const DUPLICATE_SIGNAL_MS = 1000;

/**
 * Reopens the log file on SIGUSR2 (logrotate's signal), from now on: call
 * it early, since SIGUSR2 would otherwise end the process.
 */
export function reopenLogOnSigusr2(): void {
  Deno.addSignalListener("SIGUSR2", () => {
    reopenLogFile().then(
      (path) =>
        path === null
          ? log().debug("SIGUSR2 received; no --log-file to reopen")
          : log().info("SIGUSR2 received; reopened the log file {path}", { path }),
      () => {}, // the log file reported its problem already
    );
  });
}

/**
 * Serves signals until the host has stopped: SIGHUP reloads the config
 * file and the script; SIGINT or SIGTERM stops gracefully (telling
 * `onStopping` first), and a second one stops at once.
 */
export function handleSignals(host: Host, onStopping: () => void = () => {}): Promise<void> {
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
      onStopping();
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
    Deno.addSignalListener("SIGHUP", () => reloadOnSighup(host));
  });
}

/** SIGHUP: reloads the config file (when there is one) and the script, or joins a reload asked for already. */
export function reloadOnSighup(host: Host): void {
  const what = host.config.configFile ? `${host.config.configFile} and the script` : "the script";
  const { turn, done } = host.askReload();
  if (turn === "joined") return log().debug("SIGHUP received; a reload follows already");
  if (turn === "now") log().info("SIGHUP received; reloading {what}", { what });
  done.catch((error) => log().error("{error}", { error: messageOf(error) }));
}
