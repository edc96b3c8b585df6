/**
 * The RPC floor: a minimal JSON-RPC 2.0 server on a Unix socket that
 * answers newline-delimited requests on its main thread (parse, build the
 * result, write). `params[1]` (the data of an `evrexec.run` call) is the
 * result. Prints one line once it listens; SIGTERM stops it and removes the
 * socket file.
 *
 * Usage: deno run --allow-read --allow-write --allow-net bench/floors/server.ts SOCKET
 *
 * @module
 */

const NEWLINE = 10;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The answer line (with its newline) to one request line. */
export function answer(line: string): string {
  let id: unknown = null;
  try {
    const request = JSON.parse(line);
    id = request.id ?? null;
    const params = Array.isArray(request.params) ? request.params : [];
    return JSON.stringify({ jsonrpc: "2.0", result: params[1] ?? "", id }) + "\n";
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return JSON.stringify({ jsonrpc: "2.0", error: { code: -32700, message }, id }) + "\n";
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) done += await conn.write(bytes.subarray(done));
}

async function serve(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  let partial: Uint8Array = new Uint8Array(0);
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      let out = "";
      let start = 0;
      while (start < n) {
        const end = buffer.subarray(start, n).indexOf(NEWLINE);
        if (end < 0) {
          partial = concat(partial, buffer.subarray(start, n));
          break;
        }
        const piece = buffer.subarray(start, start + end);
        out += answer(decoder.decode(partial.length === 0 ? piece : concat(partial, piece)));
        partial = new Uint8Array(0);
        start += end + 1;
      }
      if (out !== "") await writeAll(conn, encoder.encode(out));
    }
  } catch {
    // the client went away
  } finally {
    try {
      conn.close();
    } catch {
      // closed already
    }
  }
}

if (import.meta.main) {
  const path = Deno.args[0];
  if (!path) {
    console.error("usage: floors/server.ts SOCKET");
    Deno.exit(2);
  }
  await Deno.remove(path).catch(() => {});
  const listener = Deno.listen({ transport: "unix", path });
  Deno.addSignalListener("SIGTERM", () => {
    listener.close();
    Deno.removeSync(path);
    Deno.exit(0);
  });
  console.log(`floor: listening on ${path}`);
  for await (const conn of listener) serve(conn);
}
