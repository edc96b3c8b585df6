/**
 * Whether the host's RPC socket answers: one `core.version` call over a
 * fresh connection, as a client would make it. The host's readiness for
 * systemd (`READY=1`) waits for it.
 *
 * @module
 */

/** The longest answer line read, in bytes (a `core.version` answer is far shorter). */
const MAX_ANSWER_BYTES = 4096;

/**
 * Calls `core.version` on the stream socket at `path` and resolves true when
 * an answer with a `result` comes back within `timeoutMs`; false on any
 * failure (it never rejects).
 */
export async function socketAnswers(path: string, timeoutMs: number): Promise<boolean> {
  let conn: Deno.UnixConn | null = null;
  const timer = setTimeout(() => {
    try {
      conn?.close();
    } catch {
      // closed already
    }
  }, timeoutMs);
  try {
    conn = await Deno.connect({ transport: "unix", path });
    const request = '{"jsonrpc":"2.0","id":"ready","method":"core.version"}\n';
    await conn.write(new TextEncoder().encode(request));
    const chunks: Uint8Array[] = [];
    let size = 0;
    const buffer = new Uint8Array(MAX_ANSWER_BYTES);
    while (size < MAX_ANSWER_BYTES) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
      size += n;
      if (buffer.subarray(0, n).includes(0x0a)) break;
    }
    const text = new TextDecoder().decode(
      chunks.reduce((all, chunk) => new Uint8Array([...all, ...chunk]), new Uint8Array()),
    );
    const line = text.split("\n")[0];
    const answer: unknown = JSON.parse(line);
    return typeof answer === "object" && answer !== null && "result" in answer;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // closed by the timer already
    }
  }
}
