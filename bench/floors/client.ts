/**
 * The CLI floor: a bare Deno client that sends one JSON-RPC request on a
 * Unix socket, prints the answer line and exits.
 *
 * Usage: deno run --allow-read --allow-write --allow-net bench/floors/client.ts SOCKET METHOD
 *
 * @module
 */

if (import.meta.main) {
  const [path, method] = Deno.args;
  const conn = await Deno.connect({ transport: "unix", path });
  await conn.write(
    new TextEncoder().encode(JSON.stringify({ jsonrpc: "2.0", method, id: 1 }) + "\n"),
  );
  const buffer = new Uint8Array(64 * 1024);
  let text = "";
  while (!text.includes("\n")) {
    const n = await conn.read(buffer);
    if (n === null) break;
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  conn.close();
  console.log(text.trim());
}
