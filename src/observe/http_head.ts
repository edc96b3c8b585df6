/**
 * The request head of an HTTP/1 request, read with bounds: the metrics
 * listener reads nothing but a request line and headers, at most
 * {@link HEAD_MAX_BYTES}, and never a body.
 *
 * @module
 */

/** The longest request head read (request line and headers). */
export const HEAD_MAX_BYTES = 8192;

/** What a request head asks for, or why it cannot be answered. */
export type RequestHead =
  | {
    readonly ok: true;
    readonly method: string;
    readonly path: string;
    /** The `Host` header's name, without its port or brackets, cut at 255 characters; absent without one. */
    readonly host?: string;
  }
  | { readonly ok: false; readonly status: 400 | 431; readonly why: string };

const END = new Uint8Array([13, 10, 13, 10]);

/** Where the head ends (after its blank line) in `bytes`, or -1 while it has not. */
export function headEnd(bytes: Uint8Array): number {
  outer: for (let i = 0; i + END.length <= bytes.length; i++) {
    for (let j = 0; j < END.length; j++) if (bytes[i + j] !== END[j]) continue outer;
    return i + END.length;
  }
  return -1;
}

/** Reads the request line of a whole head (`bytes` up to its blank line). */
export function parseHead(bytes: Uint8Array): RequestHead {
  const text = new TextDecoder("latin1").decode(bytes);
  const line = text.slice(0, text.indexOf("\r\n"));
  const match = /^([A-Z]{1,16}) (\S{1,4096}) HTTP\/1\.[01]$/.exec(line);
  if (match === null) return { ok: false, status: 400, why: "not an HTTP/1 request line" };
  const [, method, target] = match;
  const path = target.startsWith("/") ? target.replace(/[?#].*$/s, "") : pathOfUrl(target);
  if (path === null) return { ok: false, status: 400, why: "not a path" };
  const host = /\r\nhost:[ \t]*([^\r]*)\r\n/i.exec(text)?.[1].trim();
  return host === undefined
    ? { ok: true, method, path }
    : { ok: true, method, path, host: hostName(host) };
}

/** The name in a `Host` header's value: `[::1]:9090` is `::1`, `localhost:9090` is `localhost`. */
export function hostName(value: string): string {
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(value);
  if (bracketed !== null) return bracketed[1].slice(0, 255);
  return value.replace(/:\d*$/, "").slice(0, 255);
}

function pathOfUrl(target: string): string | null {
  try {
    return new URL(target).pathname;
  } catch {
    return null;
  }
}
