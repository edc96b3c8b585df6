/**
 * Files the user names (the `--config` file, the script): each must be a
 * regular file within a size limit, checked before it is opened, so that
 * `/dev/zero` is not read without end and a FIFO does not block the host.
 * Every refusal is one {@link ConfigError}: exit 2 at start-up, a -32003
 * answer at a reload.
 *
 * @module
 */

import { messageOf } from "../shared/error_text.ts";
import { ConfigError } from "../base/errors.ts";
import { clipText } from "../shared/quote.ts";

/** The largest config file read, in bytes (1 MiB: a config of hundreds of tasks is a few KiB). */
export const MAX_CONFIG_BYTES = 1 << 20;
/**
 * The largest script accepted, in bytes (16 MiB: a whole application bundled
 * into one file is a few MiB). Modules the script imports are not checked.
 */
export const MAX_SCRIPT_BYTES = 16 << 20;
/** The most characters of a path a message shows. */
const MAX_PATH_CHARS = 1024;
/** The most characters of a file system error a message repeats (Deno's repeat the path). */
const MAX_REASON_CHARS = 1200;

/** A path for a message, cut if absurdly long. */
export function shownPath(path: string): string {
  return clipText(path, MAX_PATH_CHARS);
}

/** Why a file operation failed (Deno's own error, whole before it is cut), for a message. */
function reason(error: unknown): string {
  return clipText(error instanceof Error ? error.message : messageOf(error), MAX_REASON_CHARS);
}

/** What a file that is not a regular one is, for the message. */
function kindOf(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

/** `bytes` in MiB for a message: `1 MiB`, `16 MiB`, `2.5 MiB`. */
function mib(bytes: number): string {
  return `${Math.round(bytes / (1 << 20) * 10) / 10} MiB`;
}

/** The refusal of a file over `maxBytes` (`size` when known: a file read may have grown). */
function tooLarge(label: string, path: string, maxBytes: number, size?: number): ConfigError {
  const is = size === undefined ? "is larger than" : `is ${size} bytes, over`;
  return new ConfigError(
    `${label} ${shownPath(path)} ${is} the limit of ${maxBytes} bytes (${mib(maxBytes)})`,
  );
}

/**
 * Checks that `path` is a regular file of at most `maxBytes` (symbolic links
 * followed) and returns its size; throws a {@link ConfigError} naming
 * `label` (`config file`, `script`) otherwise. Never opens the file.
 */
export function checkUserFile(path: string | URL, label: string, maxBytes: number): number {
  const shown = typeof path === "string" ? path : decodeURIComponent(path.pathname);
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ConfigError(`${label} not found: ${shownPath(shown)}`);
    }
    throw new ConfigError(`${label} ${shownPath(shown)}: ${reason(error)}`);
  }
  if (!info.isFile) {
    throw new ConfigError(
      `${label} ${shownPath(shown)} is ${kindOf(info)}, not a regular file`,
    );
  }
  if (info.size > maxBytes) throw tooLarge(label, shown, maxBytes, info.size);
  return info.size;
}

/**
 * Reads the regular file at `path` as UTF-8 text, at most `maxBytes` of it
 * (a file that grew past the limit since it was checked is refused too);
 * throws a {@link ConfigError} naming `label` otherwise.
 */
export function readUserFile(path: string, label: string, maxBytes: number): string {
  checkUserFile(path, label, maxBytes);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (error) {
    throw new ConfigError(`${label} ${shownPath(path)}: ${reason(error)}`);
  }
  try {
    const buffer = new Uint8Array(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = file.readSync(buffer.subarray(length));
      if (n === null) break;
      length += n;
    }
    if (length > maxBytes) throw tooLarge(label, path, maxBytes);
    return new TextDecoder().decode(buffer.subarray(0, length));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${label} ${shownPath(path)}: ${reason(error)}`);
  } finally {
    file.close();
  }
}
