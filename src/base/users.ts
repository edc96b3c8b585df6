/**
 * Who is who on this machine: the process's own uid, and the names of
 * users and groups from `/etc/passwd` and `/etc/group`, for messages that
 * name the owner of a file and for options that take a user name.
 *
 * Deno's `Deno.uid()` needs `--allow-sys`, and Deno refuses to read
 * `/proc/self` without `--allow-all`; the host and the client have neither.
 * So the uid comes from `Deno.uid()` when that is allowed, else from the
 * owner of a file this process creates (and removes at once) where it may
 * write. No permission is ever prompted for.
 *
 * @module
 */

/** The most of `/etc/passwd` or `/etc/group` read, in bytes. */
const MAX_DATABASE_BYTES = 1 << 20;

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

/** The owner of a file made in `dir` (and removed at once), or null. */
function ownerOfNewFile(dir: string): number | null {
  if (!granted({ name: "write", path: dir }) || !granted({ name: "read", path: dir })) {
    return null;
  }
  let path: string | null = null;
  try {
    path = Deno.makeTempFileSync({ dir, prefix: ".evrexec-uid-" });
    return Deno.statSync(path).uid;
  } catch {
    return null;
  } finally {
    if (path !== null) {
      try {
        Deno.removeSync(path);
      } catch {
        // gone already
      }
    }
  }
}

let known: number | null = null;

/**
 * The effective uid of this process (the owner of the files it creates),
 * or null when nothing it is allowed to do tells: neither `--allow-sys=uid`
 * nor writing to /tmp or one of `dirs`.
 */
export function ownUid(dirs: readonly string[] = []): number | null {
  if (known !== null) return known;
  if (granted({ name: "sys", kind: "uid" })) {
    try {
      return known = Deno.uid();
    } catch {
      // not on this platform: try a file
    }
  }
  for (const dir of ["/tmp", ...dirs]) {
    const uid = ownerOfNewFile(dir);
    if (uid !== null) return known = uid;
  }
  return null;
}

/** The lines of a colon-separated database file, or none when it cannot be read. */
function databaseLines(path: string): string[] {
  if (!granted({ name: "read", path })) return [];
  let file: Deno.FsFile | null = null;
  try {
    file = Deno.openSync(path);
    const buffer = new Uint8Array(MAX_DATABASE_BYTES);
    let filled = 0;
    while (filled < buffer.length) {
      const read = file.readSync(buffer.subarray(filled));
      if (read === null) break;
      filled += read;
    }
    return new TextDecoder().decode(buffer.subarray(0, filled)).split("\n");
  } catch {
    return [];
  } finally {
    file?.close();
  }
}

/** The name of the entry with id `id` (third field) in `path`, if any. */
function nameOf(path: string, id: number): string | null {
  for (const line of databaseLines(path)) {
    const fields = line.split(":");
    if (fields.length >= 3 && fields[2] === String(id) && fields[0] !== "") return fields[0];
  }
  return null;
}

/** `user NAME (uid N)`, or `uid N` when no name is known. */
export function userLabel(uid: number): string {
  const name = nameOf("/etc/passwd", uid);
  return name === null ? `uid ${uid}` : `user ${name} (uid ${uid})`;
}

/** `group NAME (gid N)`, or `gid N` when no name is known. */
export function groupLabel(gid: number): string {
  const name = nameOf("/etc/group", gid);
  return name === null ? `gid ${gid}` : `group ${name} (gid ${gid})`;
}

/** The uid of the user named `name` in `/etc/passwd`, or null. */
export function uidOfName(name: string): number | null {
  for (const line of databaseLines("/etc/passwd")) {
    const fields = line.split(":");
    if (fields.length >= 3 && fields[0] === name && /^\d+$/.test(fields[2])) {
      return Number(fields[2]);
    }
  }
  return null;
}
