/**
 * Does a Unix socket owned by a Web Worker outlive the worker when its
 * thread is stuck in synchronous code? (issue 26: a pool worker that owns
 * the RPC socket and runs calls itself.)
 *
 * A worker listens on a socket path and accepts one connection; the client
 * sends a line, the worker starts spinning in `while (true) {}`; the main
 * thread calls `worker.terminate()` after 200 ms, then (1) waits up to 2 s
 * for the client's connection to see EOF or an error, (2) unlinks the path
 * and binds it anew on the main thread, and (3) connects to it.
 *
 * Run: deno run --allow-read --allow-write --allow-net repro/stuck_worker_socket.ts
 * The same holds for a `node:worker_threads` worker (`terminate()` resolves
 * at once, the connection stays silent: checked by hand on Deno 2.9.6).
 *
 * Prints, Deno 2.9.6: "stuck worker's connection after terminate(): still open (silent) after 2000 ms",
 * "rebind after unlink: ok", "new connection: ok". Prints "closed" in the first line once Deno ends
 * a terminated worker's resources while its thread spins.
 */

const dir = Deno.makeTempDirSync();
const path = `${dir}/s.sock`;
const source = `
self.onmessage = async (e) => {
  const listener = Deno.listen({ transport: "unix", path: e.data });
  self.postMessage("listening");
  const conn = await listener.accept();
  const buf = new Uint8Array(100);
  await conn.read(buf);
  self.postMessage("spinning");
  while (true) {}
};`;
const url = URL.createObjectURL(new Blob([source], { type: "application/javascript" }));
const worker = new Worker(url, { type: "module" });
const next = () => new Promise((resolve) => (worker.onmessage = (e) => resolve(e.data)));
let wait = next();
worker.postMessage(path);
await wait;
const client = await Deno.connect({ transport: "unix", path });
wait = next();
await client.write(new TextEncoder().encode("go\n"));
await wait;
await new Promise((r) => setTimeout(r, 200));
worker.terminate();
const started = performance.now();
const outcome = await Promise.race([
  client.read(new Uint8Array(10)).then(
    (n) => n === null ? "closed (EOF)" : "data",
    () => "closed (error)",
  ),
  new Promise<string>((r) => setTimeout(() => r("still open (silent) after 2000 ms"), 2000)),
]);
console.log(
  `stuck worker's connection after terminate(): ${outcome}${
    outcome.startsWith("closed") ? ` after ${Math.round(performance.now() - started)} ms` : ""
  }`,
);
Deno.removeSync(path);
let rebound: Deno.UnixListener | null = null;
try {
  rebound = Deno.listen({ transport: "unix", path });
  console.log("rebind after unlink: ok");
} catch (error) {
  console.log(`rebind after unlink: ${error}`);
}
if (rebound) {
  const accepted = rebound.accept();
  const second = await Deno.connect({ transport: "unix", path });
  (await accepted).close();
  second.close();
  console.log("new connection: ok");
  rebound.close();
}
client.close();
Deno.removeSync(dir, { recursive: true });
Deno.exit(0); // the spinning thread would keep the process alive
