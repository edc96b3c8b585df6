/**
 * A Unix datagram peer for the tests of datagram answers, run as a
 * subprocess (Unix datagrams need `--unstable-net`), possibly as another
 * user: it imports nothing, so a copy of it runs from any directory.
 *
 *   listen PATH MS         binds PATH (mode 0600), prints "ready", then after
 *                          MS ms prints the JSON list of what it received
 *   ask SERVER REPLY MS    binds REPLY, sends stdin's text to SERVER, prints
 *                          the JSON answer's text (or null after MS ms)
 *   bounce SERVER REPLY TARGET MS
 *                          binds REPLY, sends stdin's text to SERVER, and MS
 *                          ms later swaps REPLY for a symbolic link to TARGET
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const unix = (path: string): Deno.UnixAddr => ({ transport: "unixpacket", path });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function receiveWithin(conn: Deno.DatagramConn, ms: number): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  try {
    const got = await Promise.race([conn.receive(), late]);
    return got === null ? null : decoder.decode(got[0]);
  } finally {
    clearTimeout(timer);
  }
}

const [command, ...args] = Deno.args;
if (command === "listen") {
  const [path, ms] = args;
  const conn = Deno.listenDatagram({ transport: "unixpacket", path });
  Deno.chmodSync(path, 0o600);
  console.log("ready");
  const received: string[] = [];
  const deadline = Date.now() + Number(ms);
  while (Date.now() < deadline) {
    const got = await receiveWithin(conn, deadline - Date.now());
    if (got !== null) received.push(got);
  }
  console.log(JSON.stringify(received));
  conn.close();
  Deno.exit(0);
}
const request = await new Response(Deno.stdin.readable).text();
if (command === "ask") {
  const [server, reply, ms] = args;
  const conn = Deno.listenDatagram({ transport: "unixpacket", path: reply });
  await conn.send(encoder.encode(request), unix(server));
  console.log(JSON.stringify(await receiveWithin(conn, Number(ms))));
  conn.close();
  Deno.removeSync(reply);
  Deno.exit(0);
}
if (command === "bounce") {
  const [server, reply, target, ms] = args;
  const conn = Deno.listenDatagram({ transport: "unixpacket", path: reply });
  await conn.send(encoder.encode(request), unix(server));
  await sleep(Number(ms));
  conn.close();
  Deno.removeSync(reply);
  Deno.symlinkSync(target, reply);
  console.log("swapped");
  Deno.exit(0);
}
console.error(`unknown command ${command}`);
Deno.exit(2);
