// Deno.serve: a failed accept() (out of descriptors) ends the process, and
// nothing bounds how many connections it keeps open.
//
//   prlimit --nofile=64 deno run --allow-net repro/serve_emfile.ts
//
// Deno 2.9.6 dies with
// `error: Uncaught (in promise) Http: Error: Too many open files (os error 24)`
// and never prints "still alive". Every idle connection is kept open; nothing the
// program can pass to Deno.serve limits them or catches the error.
const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  () => new Response("x"),
);
const conns: Deno.Conn[] = [];
try {
  for (let i = 0; i < 200; i++) {
    conns.push(await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port }));
  }
} catch {
  // this side ran out of descriptors too
}
console.log(`opened ${conns.length} connections`);
for (let i = 0; i < 5; i++) conns.pop()?.close(); // room for the server's next accept()
await new Promise((resolve) => setTimeout(resolve, 1000));
console.log("still alive");
for (const conn of conns) conn.close();
await server.shutdown();
