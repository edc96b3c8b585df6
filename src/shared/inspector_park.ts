/**
 * Deno's debugger signal kept shut. Deno 2.9.2 and later start the V8
 * inspector on 127.0.0.1:9229 when a process gets SIGUSR1, and any local user
 * may then connect and run code with the process's permissions; Deno has no
 * switch to turn that off. It does nothing when an inspector server runs
 * already, so this module "parks" one where no one can connect: on
 * 127.255.255.255, the loopback broadcast address, to which every TCP connect
 * fails (ENETUNREACH). A process is parked from its start by {@link PARK_FLAGS}
 * on its command line, or from its code by {@link parkInspector} (which needs
 * `--allow-sys`). `node:inspector`'s `close()`, which any code of the process
 * may call without a permission, un-parks it: {@link guardSigusr1} then closes
 * at once what a later SIGUSR1 opens. See `repro/sigusr1_inspector.ts`.
 *
 * @module
 */

import inspector from "node:inspector";
import process from "node:process";

/** Where the inspector is parked: an address that takes no TCP connection. */
export const PARK_HOST = "127.255.255.255";

/** The deno flags that start a process with its inspector parked (and print no banner). */
export const PARK_FLAGS: readonly string[] = [
  `--inspect=${PARK_HOST}:0`,
  "--inspect-publish-uid=http",
];

/** The first Deno that opens the inspector on SIGUSR1. */
const FIRST_DENO = [2, 9, 2];

/** How a process's inspector stands after {@link parkInspector}. */
export type Park =
  /** Parked now by this call, on `PARK_HOST:port`. */
  | { readonly kind: "parked"; readonly port: number }
  /** A server ran already (`PARK_FLAGS`, or an `--inspect` flag): on `port`. */
  | { readonly kind: "running"; readonly port: number }
  /** Not parked: parking from code needs `--allow-sys`. */
  | { readonly kind: "denied" }
  /** Not parked: the server could not start (`message` says why). */
  | { readonly kind: "failed"; readonly message: string }
  /** This Deno does not open the inspector on SIGUSR1. */
  | { readonly kind: "unneeded" };

/** True when Deno `version` (e.g. "2.9.6") opens the inspector on SIGUSR1. */
export function opensOnSigusr1(version: string): boolean {
  const parts = version.split(/[.-]/).slice(0, 3).map(Number);
  for (let i = 0; i < FIRST_DENO.length; i++) {
    if ((parts[i] ?? 0) !== FIRST_DENO[i]) return (parts[i] ?? 0) > FIRST_DENO[i];
  }
  return true;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Parks the inspector of this process unless a server runs already.
 *
 * @returns how the inspector stands; never throws.
 */
export function parkInspector(): Park {
  if (!opensOnSigusr1(Deno.version.deno)) return { kind: "unneeded" };
  try {
    inspector.open(0, PARK_HOST);
    return { kind: "parked", port: process.debugPort };
  } catch (error) {
    if (errorCode(error) === "ERR_INSPECTOR_ALREADY_ACTIVATED") {
      return { kind: "running", port: process.debugPort };
    }
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return { kind: "denied" };
    }
    return { kind: "failed", message: error instanceof Error ? error.message : String(error) };
  }
}

/** What {@link guardSigusr1} found after a SIGUSR1 opened the inspector. */
export interface Reopened {
  /** How long after the signal the inspector was seen open and closed, in ms. */
  readonly ms: number;
  /** True when it could be parked again (this needs `--allow-sys`). */
  readonly parkedAgain: boolean;
}

/** How long after a SIGUSR1 the guard looks for an opened inspector, and how often. */
const WATCH_MS = 500, STEP_MS = 5;

/**
 * Listens for SIGUSR1 (so that it never ends the process) and, when the
 * inspector parked on `port` was un-parked and the signal opened it, closes
 * it at once, parks it again where it can, and calls `opened`. `port` null:
 * nothing to watch (only the listener).
 *
 * @param port the parked (or flag-started) server's port, or null
 * @param received called on every SIGUSR1
 * @param opened called when a SIGUSR1 opened the inspector, after it was closed
 * @returns a function that removes the listener
 */
export function guardSigusr1(
  port: number | null,
  received: () => void,
  opened: (report: Reopened) => void,
): () => void {
  let parked = port;
  const watching = port !== null;
  /** True when a server other than the parked one holds this isolate's inspector URL. */
  const openedSinceParked = (): boolean => {
    if (parked !== null) return process.debugPort !== parked;
    // Closed, and not parked again (no --allow-sys): is a server's URL held again?
    const probe = parkInspector();
    if (probe.kind === "parked") parked = probe.port; // it may park now: all the better
    return probe.kind === "running";
  };
  const onSignal = () => {
    received();
    if (!watching) return;
    const started = performance.now();
    const look = () => {
      if (!openedSinceParked()) {
        if (performance.now() - started < WATCH_MS) setTimeout(look, STEP_MS);
        return;
      }
      inspector.close();
      const ms = performance.now() - started;
      const again = parkInspector();
      parked = again.kind === "parked" ? again.port : null;
      opened({ ms, parkedAgain: again.kind === "parked" });
    };
    look();
  };
  Deno.addSignalListener("SIGUSR1", onSignal);
  return () => Deno.removeSignalListener("SIGUSR1", onSignal);
}
