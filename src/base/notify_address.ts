/**
 * Where systemd's notify socket is: `$NOTIFY_SOCKET` read as sd_notify(3)
 * reads it, an absolute path (`/run/systemd/notify`) or a name in Linux's
 * abstract namespace (`@name`), turned into the path Deno's Unix datagram
 * sockets take (`\0name` for an abstract one).
 *
 * @module
 */

/** The longest socket path Linux takes (`sun_path` is 108 bytes, NUL included). */
export const MAX_SOCKET_PATH_BYTES = 107;

/** Where to send notifications, or why they cannot be sent. */
export type NotifyAddress =
  | {
    /** A socket file, or an abstract name. */
    readonly kind: "path" | "abstract";
    /** What `Deno.DatagramConn.send` takes: the file's path, or `\0` and the abstract name. */
    readonly path: string;
    /** The address as `$NOTIFY_SOCKET` gave it, for messages. */
    readonly shown: string;
  }
  | {
    /** `$NOTIFY_SOCKET` is set but names nothing this client can send to. */
    readonly kind: "unsupported";
    /** Why, in one line. */
    readonly reason: string;
  };

/** `text` quoted for a message, cut to its first 100 characters. */
function shown(text: string): string {
  const cut = [...text].slice(0, 100).join("");
  return JSON.stringify(cut) + (cut.length < text.length ? "…" : "");
}

/**
 * Reads a `$NOTIFY_SOCKET` value: `undefined` or `""` give null (not run by
 * systemd with `Type=notify`: notifications are no-ops); a path must be
 * absolute, an abstract name starts with `@`. Other forms (`vsock:…`, a
 * relative path) are "unsupported", with the reason.
 */
export function parseNotifySocket(value: string | undefined): NotifyAddress | null {
  if (value === undefined || value === "") return null;
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    return {
      kind: "unsupported",
      reason: `NOTIFY_SOCKET ${shown(value)} is ${bytes} bytes, over the ` +
        `${MAX_SOCKET_PATH_BYTES} bytes a Unix socket address holds`,
    };
  }
  if (value.includes("\0")) {
    return { kind: "unsupported", reason: `NOTIFY_SOCKET ${shown(value)} holds a NUL byte` };
  }
  if (value.startsWith("@") && value.length > 1) {
    return { kind: "abstract", path: `\0${value.slice(1)}`, shown: value };
  }
  if (value.startsWith("/")) return { kind: "path", path: value, shown: value };
  return {
    kind: "unsupported",
    reason: `NOTIFY_SOCKET ${shown(value)} is neither an absolute path nor an @abstract name ` +
      "(vsock and other addresses are not supported)",
  };
}
