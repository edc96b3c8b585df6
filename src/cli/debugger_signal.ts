/**
 * The host's side of Deno's debugger signal (see `shared/inspector_park.ts`):
 * at start-up the inspector must be parked where no one can connect, or the
 * host refuses to start; afterwards SIGUSR1 does nothing but say so, and an
 * inspector it opened anyway (a script had closed the parked one) is closed
 * at once and reported.
 *
 * @module
 */

import { log } from "../base/log.ts";
import { ConfigError } from "../base/errors.ts";
import { guardSigusr1, type Park, PARK_FLAGS, PARK_HOST } from "../shared/inspector_park.ts";

/** How to start the host so that its inspector is parked, for the error line. */
const PARK_ADVICE = `run deno with ${PARK_FLAGS.join(" ")} (as the deno tasks do) ` +
  "or with --allow-sys, so that the host can keep it shut (docs/security.md)";

/** True when a TCP connect to `hostname:port` succeeds; null when the host may not try. */
async function accepts(hostname: string, port: number): Promise<boolean | null> {
  try {
    const connection = await Deno.connect({ hostname, port });
    connection.close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return null;
    }
    return false;
  }
}

/** Refuses to start unless the inspector is parked; the port it is parked on, if any. */
async function checkedPark(park: Park): Promise<number | null> {
  switch (park.kind) {
    case "unneeded":
      return null;
    case "denied":
      throw new ConfigError(
        `Deno ${Deno.version.deno} opens a debugger on 127.0.0.1:9229 when the host gets ` +
          `SIGUSR1, and any local user could drive it: ${PARK_ADVICE}`,
      );
    case "failed":
      throw new ConfigError(
        `cannot park Deno's inspector on ${PARK_HOST} (${park.message}); SIGUSR1 would open ` +
          "a debugger on 127.0.0.1:9229 that any local user could drive",
      );
    case "parked":
      if (await accepts(PARK_HOST, park.port)) {
        throw new ConfigError(
          `Deno's inspector parked on ${PARK_HOST}:${park.port} takes connections on this ` +
            "system, so it cannot keep SIGUSR1's debugger shut",
        );
      }
      log().info("Deno's inspector is parked on {address}, which takes no connection", {
        address: `${PARK_HOST}:${park.port}`,
      });
      return park.port;
    case "running":
      if (await accepts("127.0.0.1", park.port)) {
        log().warn(
          "Deno's inspector listens on 127.0.0.1:{port} (an --inspect flag): whoever can " +
            "connect to it can run code in this host",
          { port: park.port },
        );
      } else {
        log().debug("Deno's inspector runs on port {port} (started by a flag)", {
          port: park.port,
        });
      }
      return park.port;
  }
}

/**
 * Keeps SIGUSR1 from ever opening a debugger in the host: given how
 * `parkInspector()` left Deno's inspector (call it first thing), checks that
 * it is parked where no connection reaches it, says so, and listens for the
 * signal. Call once, after logging is set up.
 *
 * @param park what `parkInspector()` answered
 * @throws {ConfigError} when the inspector is not parked
 */
export async function keepDebuggerShut(park: Park): Promise<void> {
  const port = await checkedPark(park);
  guardSigusr1(
    port,
    () =>
      log().warn(
        "SIGUSR1 received: it does nothing here (Deno's debugger stays shut); " +
          "SIGUSR2 or evrexec.reopen_log reopens the log file",
      ),
    ({ ms, parkedAgain }) =>
      log().error(
        "SIGUSR1 opened Deno's debugger on 127.0.0.1:9229 (code in this process had closed " +
          "the parked inspector); closed it after {ms} ms{again}",
        {
          ms: Math.round(ms),
          again: parkedAgain ? " and parked it again" : "; restart the host to park it again",
        },
      ),
  );
}
