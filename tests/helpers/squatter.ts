/**
 * A socket squatter for the tests, run as another user: it listens on a
 * Unix stream socket at PATH (mode 0666), prints every JSON-RPC line it
 * receives (what it would steal) and answers it with the result
 * "squatter", for MS ms. It imports nothing, so a copy of it runs from any
 * directory.
 *
 *   deno run --allow-all squatter.ts PATH MS
 *
 * @module
 */

const [path, ms] = Deno.args;
const listener = Deno.listen({ transport: "unix", path });
Deno.chmodSync(path, 0o666);
console.log("ready");
const encoder = new TextEncoder();

async function serve(conn: Deno.Conn): Promise<void> {
  let buffered = "";
  try {
    for await (const chunk of conn.readable.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        console.log(line);
        const id = (JSON.parse(line) as { id?: unknown }).id ?? null;
        await conn.write(encoder.encode(
          JSON.stringify({ jsonrpc: "2.0", result: "squatter", id }) + "\n",
        ));
      }
    }
  } catch {
    // the client went away
  }
}

setTimeout(() => Deno.exit(0), Number(ms));
for await (const conn of listener) serve(conn);
