/**
 * Who can change what a socket path names. Whoever may write to a
 * directory on the way to the path (and has no sticky bit in the way), or
 * owns one, can unlink the socket there and put their own in its place. A
 * path is safe for a set of trusted users when every directory above it, as
 * written and as resolved, belongs to one of them and is writable by no one
 * else, unless it has the sticky bit (then only an entry's owner, the
 * directory's owner and root may remove the entry).
 *
 * @module
 */

import { messageOf } from "../shared/error_text.ts";
import { groupLabel, userLabel } from "../base/users.ts";

const STICKY = 0o1000;
const GROUP_WRITE = 0o020;
const OTHER_WRITE = 0o002;

function parent(path: string): string | null {
  if (path === "/") return null;
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? "/" : path.slice(0, cut);
}

function absolute(path: string): string {
  if (path.startsWith("/")) return path;
  try {
    return `${Deno.cwd().replace(/\/$/, "")}/${path}`;
  } catch {
    return path; // no read permission for the working directory: judge what is written
  }
}

/** Every directory from `dir` up to `/`. */
function chain(dir: string): string[] {
  const dirs: string[] = [];
  for (let at: string | null = dir; at !== null; at = parent(at)) dirs.push(at);
  return dirs;
}

/**
 * The directories whose entries decide what `path` names: those above the
 * path as written (made absolute) and those above where it resolves to.
 * Throws NotFound when the directory holding `path` does not exist.
 */
function directoriesAbove(path: string): string[] {
  const dir = parent(absolute(path)) ?? "/";
  const dirs = chain(dir);
  let real: string;
  try {
    real = Deno.realPathSync(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return dirs; // see replaceableBy
    throw error;
  }
  for (const above of chain(real)) {
    if (!dirs.includes(above)) dirs.push(above);
  }
  return dirs;
}

/** Why someone outside `trusted` could change the entries of `dir`, or null. */
function directoryRisk(dir: string, info: Deno.FileInfo, trusted: ReadonlySet<number>) {
  const mode = info.mode ?? 0;
  const sticky = (mode & STICKY) !== 0;
  if (info.uid !== null && !trusted.has(info.uid)) {
    return `${dir} belongs to ${userLabel(info.uid)}`;
  }
  if ((mode & OTHER_WRITE) !== 0 && !sticky) {
    return `every user can write to ${dir}, which has no sticky bit`;
  }
  if ((mode & GROUP_WRITE) !== 0 && !sticky) {
    const group = info.gid === null ? "its group" : groupLabel(info.gid);
    return `${group} can write to ${dir}, which has no sticky bit`;
  }
  return null;
}

/**
 * Why a user outside `trusted` (uids) could replace whatever `path` names,
 * or null when none could: the first directory above `path` that another
 * user owns, or that others may write to without the sticky bit, in a few
 * words ("every user can write to /x, which has no sticky bit"). A path
 * whose directory does not exist gives null (there is nothing to replace);
 * a directory that cannot be looked at gives a reason, except one Deno's
 * read permission does not cover, which is passed over (a process allowed
 * to read only the socket's own directory cannot judge those above it).
 */
export function replaceableBy(path: string, trusted: ReadonlySet<number>): string | null {
  let dirs: string[];
  try {
    dirs = directoriesAbove(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    return `cannot tell who may write above ${path} (${messageOf(error)})`;
  }
  for (const dir of dirs) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(dir);
    } catch (error) {
      // Deno's --allow-read narrowed to the socket's directory leaves those above unread.
      if (error instanceof Deno.errors.NotCapable) continue;
      return `cannot tell who may write to ${dir} (${messageOf(error)})`;
    }
    const risk = directoryRisk(dir, info, trusted);
    if (risk !== null) return risk;
  }
  return null;
}

/**
 * Who besides its owner may create files in the directory holding `path`
 * (it has the sticky bit, else {@link replaceableBy} refuses it): "every
 * user", a group's label, or null when nobody else may.
 */
export function sharedWith(path: string): string | null {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(parent(absolute(path)) ?? "/");
  } catch {
    return null;
  }
  const mode = info.mode ?? 0;
  if ((mode & OTHER_WRITE) !== 0) return "every user";
  if ((mode & GROUP_WRITE) !== 0) {
    return `the members of ${info.gid === null ? "its group" : groupLabel(info.gid)}`;
  }
  return null;
}

/** The uids a socket may belong to without a word: this process's user and root. */
export function ownAndRoot(uid: number | null): Set<number> {
  return new Set(uid === null ? [0] : [0, uid]);
}
