/**
 * The log file's path, opened without following a symbolic link. `Deno.open`
 * has no `O_NOFOLLOW`, so: a path that does not exist is created with
 * `createNew` (`O_CREAT|O_EXCL`, which fails on a symlink, even a dangling
 * one, and follows none); a path that exists is looked at with `lstat`,
 * refused when it is a symlink, opened without `create`, and kept only when
 * the file opened is the one looked at (same device and inode). A symlink
 * swapped in between the look and the open is opened, found to be another
 * file, and closed before anything is written. Like `O_NOFOLLOW`, this
 * checks the last component only: the directories above are trusted.
 *
 * A file the host creates gets mode 0600 (owner only, whatever the umask),
 * or, when it replaces another (a rotation, a reopen after a move), the mode
 * and owner of the one it replaces, so an operator's `chmod` or `chown`
 * survives rotation. The mode is given to `open` itself (the umask can only
 * narrow it), then set exactly; the owner is set when it differs (which
 * needs root, or a group the host is in).
 *
 * @module
 */

import { messageOf } from "../shared/error_text.ts";

/** The mode of a log file the host creates when it replaces none: owner only. */
export const NEW_LOG_FILE_MODE = 0o600;

/** The permission bits and owner a log file the host creates is given. */
export interface LogFileLook {
  /** Permission bits (0o777 at most). */
  readonly mode: number;
  /** The owner's user id, or null to keep the host's. */
  readonly uid: number | null;
  /** The owner's group id, or null to keep the host's. */
  readonly gid: number | null;
}

/** How a log file is created when it replaces none: 0600, owned by the host. */
export const NEW_LOG_FILE_LOOK: LogFileLook = { mode: NEW_LOG_FILE_MODE, uid: null, gid: null };

/** The look of an open log file, for the file that will replace it. */
export function lookOf(info: Deno.FileInfo): LogFileLook {
  return {
    mode: info.mode === null ? NEW_LOG_FILE_MODE : info.mode & 0o777,
    uid: info.uid,
    gid: info.gid,
  };
}

/** The path is a symbolic link: the host does not write through one. */
export class SymlinkError extends Error {
  /** Creates the error; `target` is where the link points (cut to a bound). */
  constructor(target: string) {
    super(
      `it is a symbolic link (to ${target}); the host never writes through one, ` +
        "give the file's own path",
    );
    this.name = "SymlinkError";
  }
}

/** The longest part of a link's target an error line shows. */
const TARGET_CHARS = 200;
/** Opens tried before giving up on a path that changes under each. */
const TRIES = 3;
const APPEND: Deno.OpenOptions = { write: true, append: true };
const CREATE_NEW: Deno.OpenOptions = { write: true, append: true, createNew: true };

/**
 * Gives the file just created at `path` the owner and mode of `look`;
 * returns what could not be done, in words, or null.
 */
async function applyLook(
  path: string,
  file: Deno.FsFile,
  look: LogFileLook,
): Promise<string | null> {
  const info = await file.stat();
  if (!await pathIsFile(path, file)) return "it was replaced while it was being set up";
  const uid = look.uid !== null && look.uid !== info.uid ? look.uid : null;
  const gid = look.gid !== null && look.gid !== info.gid ? look.gid : null;
  const problems: string[] = [];
  if (uid !== null || gid !== null) {
    await Deno.chown(path, uid, gid).catch((error) =>
      problems.push(`owner ${look.uid}:${look.gid} not set (${messageOf(error)})`)
    );
  }
  if (info.mode !== null && (info.mode & 0o7777) !== look.mode) {
    await Deno.chmod(path, look.mode).catch((error) =>
      problems.push(`mode ${look.mode.toString(8)} not set (${messageOf(error)})`)
    );
  }
  return problems.length === 0 ? null : problems.join(", ");
}

async function symlinkError(path: string): Promise<SymlinkError> {
  const target = await Deno.readLink(path).catch(() => "?");
  return new SymlinkError(
    target.length > TARGET_CHARS ? `${target.slice(0, TARGET_CHARS)}…` : target,
  );
}

async function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** True when `a` and `b` are the same file (device and inode). */
function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.dev === b.dev && a.ino !== null && a.ino === b.ino;
}

/**
 * Opens `path` for appending, creating it when missing, never through a
 * symbolic link. A file it creates gets the mode and owner of `look`;
 * what of that cannot be done is told to `onProblem` (the file is used all
 * the same: its mode is never wider than `look`'s).
 *
 * @param path The log file's path.
 * @param look The mode and owner of a file it creates.
 * @param onProblem Told, in words, what of `look` could not be given.
 * @returns The file, open for appending.
 * @throws {SymlinkError} when `path` is a symbolic link
 * @throws {Deno.errors.NotFound} and the like when it cannot be opened
 */
export async function openLogPath(
  path: string,
  look: LogFileLook = NEW_LOG_FILE_LOOK,
  onProblem: (message: string) => void = () => {},
): Promise<Deno.FsFile> {
  for (let i = 0; i < TRIES; i++) {
    const seen = await lstatOrNull(path);
    if (seen?.isSymlink) throw await symlinkError(path);
    if (seen === null) {
      let created: Deno.FsFile;
      try {
        created = await Deno.open(path, { ...CREATE_NEW, mode: look.mode });
      } catch (error) {
        if (error instanceof Deno.errors.AlreadyExists) continue; // made meanwhile: look again
        throw error;
      }
      const problem = await applyLook(path, created, look).catch(messageOf);
      if (problem !== null) onProblem(`the new log file ${path}: ${problem}`);
      return created;
    }
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, APPEND);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue; // removed meanwhile: look again
      throw error;
    }
    if (sameFile(await file.stat(), seen)) return file;
    file.close(); // the path changed between the look and the open: never written
  }
  throw new Error("it changed under each of three opens");
}

/**
 * Whether `path` still names the file `file` has open, and is no symbolic
 * link (checked before a rotation renames the path).
 */
export async function pathIsFile(path: string, file: Deno.FsFile): Promise<boolean> {
  const seen = await lstatOrNull(path);
  return seen !== null && !seen.isSymlink && sameFile(seen, await file.stat());
}
