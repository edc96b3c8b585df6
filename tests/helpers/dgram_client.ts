/**
 * A datagram JSON-RPC client that does what kamcli does: bind its own reply
 * socket, `sendto` the server one request per datagram, read one reply.
 * Unix datagram sockets need `--unstable-net`, which `deno test` is not run
 * with, so `dgramExchange` runs this file as a subprocess that does every
 * exchange in turn and prints the replies as JSON.
 *
 * @module
 */

import dgram from "node:dgram";

/** One datagram to send. */
export interface Outgoing {
  /** The datagram's text, or its bytes. */
  readonly data: string | number[];
  /** How long to wait for the reply (default 4000 ms, as kamcli); 0: do not wait. */
  readonly timeoutMs?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytesOf = (data: string | number[]) =>
  typeof data === "string" ? encoder.encode(data) : new Uint8Array(data);

/** `promise`'s value, or null after `ms` (the timer is cleared either way). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function unixExchange(server: string, messages: Outgoing[]): Promise<(string | null)[]> {
  const dir = Deno.makeTempDirSync({ prefix: "evrexec-kamcli-" });
  const conn = Deno.listenDatagram({ transport: "unixpacket", path: `${dir}/reply.sock` });
  const replies: (string | null)[] = [];
  try {
    for (const message of messages) {
      await conn.send(bytesOf(message.data), { transport: "unixpacket", path: server });
      const wait = message.timeoutMs ?? 4000;
      if (wait === 0) {
        replies.push(null);
        continue;
      }
      const got = await within(conn.receive(), wait);
      replies.push(got === null ? null : decoder.decode(got[0]));
      if (got === null) break; // a pending receive holds the socket: stop here
    }
  } finally {
    conn.close();
    Deno.removeSync(dir, { recursive: true });
  }
  return replies;
}

async function udpExchange(host: string, port: number, messages: Outgoing[]) {
  const socket = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  const inbox: string[] = [];
  let wake: (() => void) | null = null;
  socket.on("message", (data) => {
    inbox.push(decoder.decode(data));
    wake?.();
  });
  const replies: (string | null)[] = [];
  for (const message of messages) {
    await new Promise<void>((resolve, reject) =>
      socket.send(bytesOf(message.data), port, host, (error) => error ? reject(error) : resolve())
    );
    const wait = message.timeoutMs ?? 4000;
    if (inbox.length === 0 && wait > 0) {
      await within(new Promise<void>((resolve) => wake = resolve), wait);
    }
    replies.push(wait === 0 ? null : inbox.shift() ?? null);
  }
  socket.close();
  return replies;
}

/** Sends each message to `address` (`unix:PATH` or `udp:HOST:PORT`) and collects one reply each. */
export async function dgramExchange(
  address: string,
  messages: Outgoing[],
): Promise<(string | null)[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--unstable-net", "--allow-all", import.meta.filename!, address],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(encoder.encode(JSON.stringify(messages)));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  if (code !== 0) throw new Error(`datagram client failed: ${decoder.decode(stderr)}`);
  return JSON.parse(decoder.decode(stdout));
}

/** Sends one request (JSON-RPC 2.0, id 1) and parses its reply. */
export async function dgramCall(
  address: string,
  method: string,
  params?: unknown[],
): Promise<{ result?: unknown; error?: { code: number; message: string }; id: unknown }> {
  const request = { jsonrpc: "2.0", method, ...(params ? { params } : {}), id: 1 };
  const [reply] = await dgramExchange(address, [{ data: JSON.stringify(request) }]);
  if (reply === null) throw new Error(`no reply to ${method} from ${address}`);
  return JSON.parse(reply);
}

if (import.meta.main) {
  const address = Deno.args[0];
  const messages: Outgoing[] = JSON.parse(await new Response(Deno.stdin.readable).text());
  const udp = /^udp:(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(address);
  const replies = udp
    ? await udpExchange(udp[1] ?? udp[2], Number(udp[3]), messages)
    : await unixExchange(address.replace(/^unix:/, ""), messages);
  console.log(JSON.stringify(replies));
}
