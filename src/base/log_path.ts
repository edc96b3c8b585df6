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
 * @module
 */

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
 * symbolic link.
 *
 * @throws {SymlinkError} when `path` is a symbolic link
 * @throws {Deno.errors.NotFound} and the like when it cannot be opened
 */
export async function openLogPath(path: string): Promise<Deno.FsFile> {
  for (let i = 0; i < TRIES; i++) {
    const seen = await lstatOrNull(path);
    if (seen?.isSymlink) throw await symlinkError(path);
    if (seen === null) {
      try {
        return await Deno.open(path, CREATE_NEW);
      } catch (error) {
        if (error instanceof Deno.errors.AlreadyExists) continue; // made meanwhile: look again
        throw error;
      }
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
