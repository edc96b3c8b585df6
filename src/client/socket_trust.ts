/**
 * Whether a client may talk to the socket at a path: it must belong to the
 * client's own user or root (or to the owner the caller names), and sit
 * where no one else could have put it there. Another user who can write to
 * the socket's directory could unlink the host's socket and bind their own,
 * then receive every call and its data.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { ownUid, uidOfName, userLabel } from "../base/users.ts";
import { ownAndRoot, replaceableBy } from "../rpc/path_trust.ts";

/** Whom a client trusts with its calls besides its own user and root. */
export type SocketOwner = number | "any";

/** The socket belongs to someone the client does not trust, or could have been replaced. */
export class UntrustedSocketError extends Error {
  /** The owner of the socket, when that is the problem. */
  readonly uid: number | null;

  /**
   * Creates the error.
   *
   * @param message What is wrong, in one line.
   * @param uid The socket's owner when the owner is the problem; null otherwise.
   */
  constructor(message: string, uid: number | null) {
    super(message);
    this.name = "UntrustedSocketError";
    this.uid = uid;
  }
}

/**
 * Throws an {@link UntrustedSocketError} unless the socket at `path` belongs
 * to this process's user, root or `owner`, and every directory above it is
 * theirs and closed to others (or sticky). `owner: "any"` checks nothing. A
 * path with nothing at it passes: connecting will say so.
 */
export function checkSocketTrust(path: string, owner?: SocketOwner): void {
  if (owner === "any") return;
  const uid = ownUid();
  const trusted = ownAndRoot(uid);
  if (owner !== undefined) trusted.add(owner);
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch {
    return; // nothing there (or no access): Deno.connect gives the reason
  }
  if (info.uid !== null && !trusted.has(info.uid)) {
    throw new UntrustedSocketError(
      `the socket ${path} belongs to ${userLabel(info.uid)}, not to this user or root` +
        (uid === null ? " (this process cannot tell its own uid: grant --allow-sys=uid)" : "") +
        ": it may not be the host you mean, and it would receive your call and its data",
      info.uid,
    );
  }
  const risk = replaceableBy(path, trusted);
  if (risk !== null) {
    throw new UntrustedSocketError(
      `the socket ${path} may not be the host's: ${risk}, so another user could have ` +
        "put theirs in its place",
      null,
    );
  }
}

/** The most characters of a bad `--socket-owner` value echoed back. */
const ECHO_MAX = 64;

/**
 * Reads `--socket-owner`: a user name, a uid, or `any`; undefined when not
 * given. Throws a {@link ConfigError} for a name no user has.
 */
export function readSocketOwner(value: string | undefined): SocketOwner | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === "any") return "any";
  if (/^\d{1,10}$/.test(text) && Number(text) <= 0xffff_fffe) return Number(text);
  const uid = text === "" || text.length > 256 ? null : uidOfName(text);
  if (uid === null) {
    const shown = JSON.stringify(text.length > ECHO_MAX ? `${text.slice(0, ECHO_MAX)}…` : text);
    throw new ConfigError(
      `--socket-owner must be a user name, a uid or "any", got ${shown} (no such user)`,
    );
  }
  return uid;
}

/** The hint a command-line client adds to an {@link UntrustedSocketError}. */
export function trustHint(error: UntrustedSocketError): string {
  return error.uid !== null
    ? `not calling it (--socket-owner ${error.uid} trusts that user)`
    : "not calling it (--socket-owner any calls it anyway)";
}
