/**
 * The socket a client calls when given none: the first of
 * `clientSocketCandidates()` (`config/defaults.ts`) that is a socket, so
 * that `evrexec-rpc` finds a host started by hand and one run by systemd
 * alike.
 *
 * @module
 */

import { clientSocketCandidates } from "../config/defaults.ts";

/** Where a client looks, and what it found. */
export interface FoundSocket {
  /** The socket to call: the first candidate that is a socket, else the first candidate. */
  readonly path: string;
  /** Every place looked at, in order. */
  readonly tried: readonly string[];
  /** True when `path` is a socket now. */
  readonly found: boolean;
}

function isSocket(path: string): boolean {
  try {
    return Deno.statSync(path).isSocket === true;
  } catch {
    return false; // missing, or not ours to look at
  }
}

/**
 * Looks for the host's socket (see the module's notes).
 *
 * @param candidates Where to look, in order (default: `clientSocketCandidates()`).
 * @returns The socket to call and where it looked.
 */
export function findSocket(candidates: readonly string[] = clientSocketCandidates()): FoundSocket {
  const path = candidates.find(isSocket);
  return { path: path ?? candidates[0], tried: candidates, found: path !== undefined };
}

/** The line a client prints when it found no socket: where it looked, and what to give. */
export function noSocketLine(tried: readonly string[]): string {
  const places = tried.length === 1
    ? tried[0]
    : `${tried.slice(0, -1).join(", ")} or ${tried[tried.length - 1]}`;
  return `cannot reach a host: no socket at ${places}; is a host running? ` +
    "Give its socket with --socket PATH or $EVREXEC_SOCKET";
}
