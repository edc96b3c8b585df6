/**
 * The RPC socket file: what to do with a file already at the path, and
 * binding with the right mode before anyone can connect.
 *
 * @module
 */

import { log } from "../base/log.ts";
import { messageOf } from "../shared/error_text.ts";
import { ConfigError } from "../base/errors.ts";
import { ownUid, userLabel } from "../base/users.ts";
import { ownAndRoot, replaceableBy, sharedWith } from "./path_trust.ts";
import { SocketWatch } from "./socket_watch.ts";

async function answers(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch (error) {
    return /\(os error 91\)/.test(messageOf(error)); // EPROTOTYPE: a live datagram socket
  }
}

/** ` (its socket belongs to USER, not to this host's user)`, or "" when it is this user's. */
function foreignOwner(info: Deno.FileInfo): string {
  if (info.uid === null || info.uid === ownUid()) return "";
  return ` (its socket belongs to ${userLabel(info.uid)}, not to this host's user)`;
}

/**
 * Refuses (with a {@link ConfigError}) a socket path that another user
 * could replace: a directory above it that another user owns, or that
 * others may write to without the sticky bit.
 */
export function checkSocketDirectory(path: string): void {
  const risk = replaceableBy(path, ownAndRoot(ownUid([dirname(path)])));
  if (risk !== null) {
    throw new ConfigError(
      `socket ${path}: ${risk}: another user could put a socket of their own in its place ` +
        "and receive the calls; use a directory of this user or root that others cannot " +
        "write to (or that has the sticky bit, as /tmp)",
    );
  }
}

/** Warns when others may create files beside the socket (a sticky directory such as /tmp). */
function warnIfShared(path: string): void {
  const shared = sharedWith(path);
  if (shared === null) return;
  log("rpc").warn(
    "the socket {path} is in a directory where {shared} may create files (sticky bit): " +
      "another user can take the path while no host serves there; prefer a directory " +
      "of this user's own (--socket, $EVREXEC_SOCKET or $XDG_RUNTIME_DIR)",
    { path, shared },
  );
}

/**
 * Clears the way for a socket at `path`: a directory another user could
 * replace it in stops start-up ({@link checkSocketDirectory}); nothing there
 * is fine; a stale socket (nobody answers) is removed; a live socket or a
 * file that is not a socket stops start-up with a {@link ConfigError}. A
 * directory shared with others under the sticky bit (such as /tmp) gives a
 * warning once the way is clear.
 */
export async function clearSocketPath(path: string): Promise<"free" | "stale"> {
  checkSocketDirectory(path);
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      warnIfShared(path);
      return "free";
    }
    throw new ConfigError(`socket ${path}: ${messageOf(error)}`);
  }
  if (!info.isSocket) {
    throw new ConfigError(`socket ${path}: the path exists and is not a socket; not touching it`);
  }
  if (await answers(path)) {
    throw new ConfigError(
      `socket ${path}: another host is already serving there${foreignOwner(info)}`,
    );
  }
  try {
    await Deno.remove(path);
  } catch (error) {
    throw new ConfigError(
      `socket ${path}: nobody answers on the socket there${foreignOwner(info)}, ` +
        `and removing it failed: ${messageOf(error)}`,
    );
  }
  warnIfShared(path);
  return "stale";
}

function dirname(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut < 0 ? "." : cut === 0 ? "/" : path.slice(0, cut);
}

/** A socket this host bound and placed at its path. */
export interface PlacedSocket<T extends { close(): void } = Deno.UnixListener> {
  /** The listener (or datagram socket) bound there. */
  readonly listener: T;
  /** Removes the socket file, unless what is at the path now is not this socket. */
  remove(): void;
}

/** Why the path was taken when the socket was to be placed there. */
function occupied(path: string): ConfigError {
  let info: Deno.FileInfo | null = null;
  try {
    info = Deno.lstatSync(path);
  } catch {
    // gone again: say what stood there a moment ago
  }
  return new ConfigError(
    info?.isSocket
      ? `socket ${path}: another host placed its socket there while this one started` +
        `${foreignOwner(info)}; not touching it`
      : `socket ${path}: the path exists and is not a socket; not touching it`,
  );
}

/**
 * Binds a Unix socket at `path` with `mode`: it is bound inside a private
 * 0700 directory beside `path` and given its mode, so no client can connect
 * before the mode holds; then it is hard-linked into place, which fails
 * rather than replace whatever appeared at `path` since it was checked.
 * Until `remove()`, the path is watched: when it no longer names this
 * socket, one error is logged ({@link SocketWatch}).
 * `bind` binds another kind of socket at the path it is given (a datagram
 * socket).
 */
export function bindSocket(path: string, mode: number): PlacedSocket;
/** Binds what `bind` makes at `path` (a datagram socket), as {@link bindSocket} does a listener. */
export function bindSocket<T extends { close(): void }>(
  path: string,
  mode: number,
  bind: (path: string) => T,
): PlacedSocket<T>;
export function bindSocket(
  path: string,
  mode: number,
  bind = (at: string): { close(): void } => Deno.listen({ transport: "unix", path: at }),
): PlacedSocket<{ close(): void }> {
  let privateDir: string;
  try {
    privateDir = Deno.makeTempDirSync({ dir: dirname(path), prefix: ".evrexec-" });
  } catch (error) {
    throw new ConfigError(`socket ${path}: cannot create it there: ${placeProblem(path, error)}`);
  }
  const staging = `${privateDir}/s`;
  try {
    const listener = bind(staging);
    let ino: number | null;
    try {
      Deno.chmodSync(staging, mode);
      ino = Deno.lstatSync(staging).ino;
      Deno.linkSync(staging, path);
    } catch (error) {
      listener.close();
      throw error instanceof Deno.errors.AlreadyExists ? occupied(path) : error;
    }
    const watch = new SocketWatch(path, ino, ownUid());
    const remove = () => {
      watch.stop();
      try {
        if (Deno.lstatSync(path).ino === ino) Deno.removeSync(path);
      } catch {
        // gone already
      }
    };
    return { listener, remove };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`socket ${path}: cannot listen: ${messageOf(error)}`);
  } finally {
    Deno.removeSync(privateDir, { recursive: true });
  }
}

/**
 * Why nothing can be created beside `path`, naming its directory (Deno's own
 * message ends in ": tmpdir", the call that failed, which names nothing).
 */
function placeProblem(path: string, error: unknown): string {
  const dir = dirname(path);
  if (error instanceof Deno.errors.NotFound) return `the directory ${dir} does not exist`;
  if (error instanceof Deno.errors.NotADirectory) return `${dir} is not a directory`;
  if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable) {
    return `no permission to create a file in ${dir} (${
      messageOf(error).replace(/: tmpdir$/, "")
    })`;
  }
  return `in ${dir}: ${messageOf(error).replace(/: tmpdir$/, "")}`;
}
