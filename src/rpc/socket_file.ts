/**
 * The RPC socket file: the default path, what to do with a file already at
 * the path, and binding with the right mode before anyone can connect.
 *
 * @module
 */

import { messageOf } from "../shared/error_text.ts";
import { ConfigError } from "../shared/errors.ts";

/** The environment variable that sets the socket for host and client. */
export const SOCKET_ENV = "EVREXEC_SOCKET";
/** The socket file's mode unless `--socket-mode` says otherwise. */
export const DEFAULT_SOCKET_MODE = 0o600;

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env: use the built-in default
  }
}

/**
 * The socket path when none is given: `$EVREXEC_SOCKET`, else
 * `$XDG_RUNTIME_DIR/evrexec.sock`, else `/tmp/evrexec.sock`.
 */
export function defaultSocketPath(): string {
  const runtimeDir = env("XDG_RUNTIME_DIR");
  return env(SOCKET_ENV) ?? (runtimeDir ? `${runtimeDir}/evrexec.sock` : "/tmp/evrexec.sock");
}

async function answers(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch (error) {
    return /\(os error 91\)/.test(messageOf(error)); // EPROTOTYPE: a live datagram socket
  }
}

/**
 * Clears the way for a socket at `path`: nothing there is fine; a stale
 * socket (nobody answers) is removed; a live socket or a file that is not a
 * socket stops start-up with a {@link ConfigError}.
 */
export async function clearSocketPath(path: string): Promise<"free" | "stale"> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "free";
    throw new ConfigError(`socket ${path}: ${messageOf(error)}`);
  }
  if (!info.isSocket) {
    throw new ConfigError(`socket ${path}: the path exists and is not a socket; not touching it`);
  }
  if (await answers(path)) {
    throw new ConfigError(`socket ${path}: another host is already serving there`);
  }
  await Deno.remove(path);
  return "stale";
}

function dirname(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut < 0 ? "." : cut === 0 ? "/" : path.slice(0, cut);
}

/**
 * Binds a Unix socket at `path` with `mode`: it is bound inside a private
 * 0700 directory beside `path`, given its mode, then renamed into place, so
 * no client can connect before the mode holds. `bind` binds another kind of
 * socket at the path it is given (a datagram socket).
 */
export function bindSocket(path: string, mode: number): Deno.UnixListener;
export function bindSocket<T extends { close(): void }>(
  path: string,
  mode: number,
  bind: (path: string) => T,
): T;
export function bindSocket(
  path: string,
  mode: number,
  bind = (at: string): { close(): void } => Deno.listen({ transport: "unix", path: at }),
): { close(): void } {
  let privateDir: string;
  try {
    privateDir = Deno.makeTempDirSync({ dir: dirname(path), prefix: ".evrexec-" });
  } catch (error) {
    throw new ConfigError(`socket ${path}: cannot create it there: ${messageOf(error)}`);
  }
  const staging = `${privateDir}/s`;
  try {
    const listener = bind(staging);
    try {
      Deno.chmodSync(staging, mode);
      Deno.renameSync(staging, path);
    } catch (error) {
      listener.close();
      throw error;
    }
    return listener;
  } catch (error) {
    throw new ConfigError(`socket ${path}: cannot listen: ${messageOf(error)}`);
  } finally {
    Deno.removeSync(privateDir, { recursive: true });
  }
}
