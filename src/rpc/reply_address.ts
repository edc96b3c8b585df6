/**
 * Which Unix datagram reply addresses the host answers. An answer goes to
 * whatever the sender's address names when it is sent, and a sender can
 * make that name point elsewhere (swap its socket for a symbolic link or a
 * hard link to another socket) to bounce the answer, sent with the host's
 * rights, into a socket it may not write to itself. Deno does not tell the
 * sender's uid (no SO_PASSCRED), so the rule is about the reply path:
 *
 * - When the host's socket admits only its own user and root (no group or
 *   other write bit in `--socket-mode`), every sender is one of them, and
 *   every address is answered.
 * - Otherwise the path must be, when the answer goes out, a socket with one
 *   link (not a symbolic or second link to one, not an abstract address)
 *   that nobody but the host's user and root could make point elsewhere:
 *   one of theirs, in directories only they can change; or another user's,
 *   in a sticky directory every user can write to (as /tmp, where kamcli
 *   binds), while the kernel's `fs.protected_symlinks` and
 *   `fs.protected_hardlinks` are on: there its owner can replace it only by
 *   a socket of their own, a symbolic link the host does not follow, or a
 *   hard link to a socket they may write to themselves.
 *
 * @module
 */

import { ownUid, userLabel } from "../base/users.ts";
import { ownAndRoot, replaceableBy } from "./path_trust.ts";
import { messageOf } from "../shared/error_text.ts";

const STICKY = 0o1000;
const OTHER_WRITE = 0o002;
const OPEN_TO_OTHERS = 0o022;

function sysctlOn(path: string): boolean {
  try {
    return Number(Deno.readTextFileSync(path).trim()) >= 1;
  } catch {
    return false;
  }
}

/**
 * True when the kernel keeps users from making symbolic links in sticky
 * world-writable directories that others follow (`fs.protected_symlinks`)
 * and hard links to files they may not read and write
 * (`fs.protected_hardlinks`).
 */
export function kernelLinkGuards(): boolean {
  return sysctlOn("/proc/sys/fs/protected_symlinks") &&
    sysctlOn("/proc/sys/fs/protected_hardlinks");
}

function parent(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut < 0 ? "." : cut === 0 ? "/" : path.slice(0, cut);
}

/** Decides, answer by answer, whether a Unix datagram reply address may be answered. */
export class ReplyAddressCheck {
  #open: boolean;
  #trusted: ReadonlySet<number>;
  #linkGuards: boolean;

  /**
   * A check for a host socket of mode `socketMode`, run by `uid` (default:
   * this process's), on a kernel with or without `linkGuards` (default: as
   * `/proc/sys/fs` says; read once).
   */
  constructor(socketMode: number, uid = ownUid(), linkGuards = kernelLinkGuards()) {
    this.#open = (socketMode & OPEN_TO_OTHERS) !== 0;
    this.#trusted = ownAndRoot(uid);
    this.#linkGuards = linkGuards;
  }

  /** True when other users than the host's and root may send (and so are checked). */
  get checking(): boolean {
    return this.#open;
  }

  /** Why an answer must not go to `path`, or null when it may. */
  refusal(path: string): string | null {
    if (!this.#open) return null;
    if (path.startsWith("\0")) return "an abstract address has no owner to check";
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return "nothing is there any more";
      return `cannot look at it (${messageOf(error)})`;
    }
    if (!info.isSocket) return info.isSymlink ? "a symbolic link, not a socket" : "not a socket";
    // A second link is another name for a socket bound elsewhere, maybe someone else's.
    if (info.nlink !== 1) return `a socket with ${info.nlink} links`;
    const owner = info.uid ?? -1;
    if (!this.#trusted.has(owner)) {
      const whose = `it belongs to ${userLabel(owner)}`;
      let dir: Deno.FileInfo;
      try {
        dir = Deno.statSync(parent(path));
      } catch (error) {
        return `${whose} and its directory cannot be looked at (${messageOf(error)})`;
      }
      const mode = dir.mode ?? 0;
      if ((mode & STICKY) === 0 || (mode & OTHER_WRITE) === 0) {
        return `${whose}, outside a sticky directory every user can write to (such as /tmp)`;
      }
      if (!this.#linkGuards) {
        return `${whose} and the kernel's fs.protected_symlinks or fs.protected_hardlinks is off`;
      }
    }
    return replaceableBy(path, this.#trusted);
  }
}
