/**
 * The reply FIFO of a jsonrpcs FIFO request: which names are allowed, the
 * path they give, and the checks on what was opened, as pure functions over
 * the facts the transport gathers (`lstat` of the path, `fstat` of the
 * opened descriptor). The transport does the I/O in this order:
 *
 * 1. {@link checkReplyName} on the request's `reply_name`; refuse (no answer
 *    is possible) when it fails;
 * 2. open {@link replyFifoPath} write-only and non-blocking (so a client that
 *    never reads cannot block the host); on ENXIO (no reader yet: kamctl
 *    starts its reader in the background, and Kamailio's first open often
 *    loses that race) wait {@link REPLY_OPEN_RETRY_MS} and try again, at most
 *    {@link REPLY_OPEN_RETRIES} times; any other error: give up;
 * 3. {@link checkOpenedReplyFifo} on `fstat` of the descriptor and `lstat`
 *    of the path; close without writing when it fails;
 * 4. write the reply, then close: the client reads until end of file.
 *
 * Kamailio 5.6 checks steps 1 and 3 the same way, less the owner check,
 * which this host adds: anyone who may write the request FIFO could
 * otherwise make the host write into any FIFO of the reply directory.
 *
 * @module
 */

/** Where kamctl makes its reply FIFO (`$CHROOT_DIR/tmp/kamailio_receiver_$$`), and Kamailio's default. */
export const KAMCTL_REPLY_DIR = "/tmp/";

/** Kamailio stores `reply_name` in 128 bytes: at most 127 bytes of name. */
export const MAX_REPLY_NAME_BYTES = 127;

/** Attempts after the first when the reply FIFO has no reader yet (Kamailio: 4). */
export const REPLY_OPEN_RETRIES = 10;

/** Wait between those attempts, in ms (Kamailio: 80). */
export const REPLY_OPEN_RETRY_MS = 50;

/** Why a name or a file was refused, or null when it is fine. */
export type Refusal = string | null;

/** Checks a request's `reply_name`: a plain file name, with no `.`, `/`, `\`, control byte or NUL. */
export function checkReplyName(name: unknown): Refusal {
  if (typeof name !== "string") return "reply_name is missing or not a string";
  if (name.length === 0) return "reply_name is empty";
  if (new TextEncoder().encode(name).length > MAX_REPLY_NAME_BYTES) {
    return `reply_name is over ${MAX_REPLY_NAME_BYTES} bytes`;
  }
  // Kamailio forbids '.', '/' and '\'; control bytes and NUL are refused here too.
  // deno-lint-ignore no-control-regex
  if (/[./\\\x00-\x1f\x7f]/.test(name)) {
    return "reply_name may not hold '.', '/', '\\' or control characters";
  }
  return null;
}

/** The reply FIFO's path: `dir` (with or without its trailing `/`) then the checked name. */
export function replyFifoPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/** What `fstat`/`lstat` say of a file: the fields of `Deno.FileInfo` the checks use. */
export interface FileFacts {
  /** True for a FIFO (null where the platform does not tell). */
  readonly isFifo: boolean | null;
  /** True for a symbolic link (only `lstat` can say so). */
  readonly isSymlink: boolean;
  /** True for a directory. */
  readonly isDirectory: boolean;
  /** Hard links to the file. */
  readonly nlink: number | null;
  /** The owner's uid. */
  readonly uid: number | null;
  /** The file's mode bits (permissions and sticky bit at least). */
  readonly mode: number | null;
  /** The device of the file. */
  readonly dev: number | null;
  /** The inode of the file. */
  readonly ino: number | null;
}

/**
 * Checks the reply FIFO that was opened: `opened` is `fstat` of the
 * descriptor, `named` is `lstat` of the path taken after the open. It must
 * be a FIFO, not hard-linked, not reached through a symbolic link, the same
 * file at the path as the one opened (no swap in between), and owned by one
 * of `owners` (for example the host's uid, root, and the owner of the
 * request FIFO).
 */
export function checkOpenedReplyFifo(
  opened: FileFacts,
  named: FileFacts,
  owners: readonly number[],
): Refusal {
  if (opened.isFifo !== true) return "the reply file is not a FIFO";
  if (opened.nlink === null || opened.nlink > 1) return "the reply FIFO is hard-linked";
  if (named.isSymlink) return "the reply path is a symbolic link";
  if (opened.dev === null || opened.ino === null) return "the reply FIFO's inode is unknown";
  if (named.dev !== opened.dev || named.ino !== opened.ino) {
    return "the reply path changed while it was opened";
  }
  if (opened.uid === null || !owners.includes(opened.uid)) {
    return `the reply FIFO's owner (uid ${opened.uid}) may not receive answers`;
  }
  return null;
}

/**
 * Checks the reply directory at start-up (`lstat` of it): a real directory;
 * when others may write into it, only with the sticky bit (as /tmp has), so
 * that no one can swap another user's reply FIFO.
 */
export function checkReplyDir(dir: FileFacts): Refusal {
  if (dir.isSymlink) return "the reply directory is a symbolic link";
  if (!dir.isDirectory) return "the reply directory is not a directory";
  if (dir.mode === null) return "the reply directory's mode is unknown";
  const othersWrite = (dir.mode & 0o002) !== 0;
  const sticky = (dir.mode & 0o1000) !== 0;
  if (othersWrite && !sticky) {
    return "the reply directory is writable by all without the sticky bit";
  }
  return null;
}
