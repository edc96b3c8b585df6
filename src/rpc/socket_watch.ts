/**
 * Notices when the socket file a host placed is removed or replaced (by an
 * operator's `rm`, a cleaner of /tmp, or another user in a directory they
 * may write to): the host would go on unreachable there without a word.
 * Every {@link WATCH_INTERVAL_MS} the path is looked at; once it no longer
 * names the socket the host bound, one error is logged and the watch ends.
 * The host does not bind again: what stands at the path now may be someone
 * else's, and is never touched.
 *
 * @module
 */

import { log } from "../base/log.ts";
import { userLabel } from "../base/users.ts";

/** How often the socket's path is looked at, in milliseconds. */
export const WATCH_INTERVAL_MS = 2000;

/** What stands at `path` instead of the socket with inode `ino`, or null when it is still there. */
export function socketChange(
  path: string,
  ino: number | null,
  ownUid: number | null,
): string | null {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "was removed";
    return null; // cannot look: say nothing rather than something false
  }
  if (info.ino === ino) return null;
  const what = info.isSocket ? "another socket" : info.isSymlink ? "a symbolic link" : "a file";
  const owner = info.uid !== null && info.uid !== ownUid ? ` of ${userLabel(info.uid)}` : "";
  return `was replaced by ${what}${owner}`;
}

/** Watches a placed socket file until {@link SocketWatch.stop}. */
export class SocketWatch {
  #timer: ReturnType<typeof setInterval>;

  /** Starts watching `path`, which names the socket with inode `ino`. */
  constructor(path: string, ino: number | null, ownUid: number | null) {
    this.#timer = setInterval(() => {
      const change = socketChange(path, ino, ownUid);
      if (change === null) return;
      this.stop();
      log("rpc").error(
        "the socket {path} {change}: this host can no longer be reached there " +
          "(restart it to serve there again)",
        { path, change },
      );
    }, WATCH_INTERVAL_MS);
    Deno.unrefTimer(this.#timer);
  }

  /** Stops watching. */
  stop(): void {
    clearInterval(this.#timer);
  }
}
