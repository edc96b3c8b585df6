/**
 * The zero-hop prototype's main thread (issue 26): starts N pool workers
 * (bench/zerohop/worker.ts); the first owns the stream socket, the others
 * are its peers over MessageChannels. The main thread answers only control
 * calls the owner sends it (`core.version` here, and `zerohop.takeover`:
 * a new owner replaces the first, unlinks the path and binds it anew;
 * peers stay with the old owner, so this is for a pool of one). Prints
 * `zerohop: listening` once the socket is bound; SIGTERM removes the socket
 * file and exits.
 *
 * Usage: deno run --allow-read --allow-write --allow-net bench/zerohop/server.ts SOCKET SCRIPT
 *        [WORKERS] [HANDOFF: never | busy:C | budget:US | alternate][+count] [DGRAM]
 *
 * DGRAM: the owner also serves a Unix datagram socket there (`unixpacket`,
 * needs `--unstable-net`), as `--rpc-dgram unix:DGRAM` does.
 *
 * @module
 */

const [path, script, count = "1", handoff = "never", dgram = ""] = Deno.args;
if (!path || !script) {
  console.error("usage: zerohop/server.ts SOCKET SCRIPT [WORKERS] [HANDOFF]");
  Deno.exit(2);
}
const scriptUrl = new URL(script, `file://${Deno.cwd()}/`).href;
const workerUrl = new URL("./worker.ts", import.meta.url);
const workers = Number(count);
let owner = new Worker(workerUrl, { type: "module" });
/** `performance.now()` when a takeover began, or null. */
let takeoverAt: number | null = null;
const peersLoaded: Promise<void>[] = [];
for (let i = 1; i < workers; i++) {
  const peer = new Worker(workerUrl, { type: "module" });
  const channel = new MessageChannel();
  peersLoaded.push(
    new Promise((resolve) => {
      peer.onmessage = (event) => event.data.type === "loaded" && resolve();
    }),
  );
  peer.postMessage({ type: "init", scriptUrl, path: "", handoff: "never" });
  peer.postMessage({ type: "serve-peer" }, [channel.port2]);
  owner.postMessage({ type: "peer" }, [channel.port1]);
  await new Promise((resolve) => setTimeout(resolve, 0));
}
await Promise.all(peersLoaded);
/** A new owner takes the listener over: the old one ends, the new one unlinks the path and binds it. */
function takeOver(): void {
  owner.terminate();
  takeoverAt = performance.now();
  owner = new Worker(workerUrl, { type: "module" });
  owner.onmessage = onOwnerMessage;
  owner.postMessage({ ...ownerInit, takeover: true });
}

function onOwnerMessage(event: MessageEvent): void {
  const message = event.data;
  if (message.type === "listening" && takeoverAt !== null) {
    console.log(`zerohop: taken over in ${(performance.now() - takeoverAt).toFixed(1)} ms`);
    takeoverAt = null;
  } else if (message.type === "listening") console.log("zerohop: listening");
  if (message.type === "control" && message.line.includes("zerohop.takeover")) {
    const id = JSON.stringify(JSON.parse(message.line).id ?? null);
    owner.postMessage({
      type: "control-answer",
      id: message.id,
      line: `{"jsonrpc":"2.0","result":"taking over","id":${id}}\n`,
    });
    setTimeout(takeOver, 50);
    return;
  }
  if (message.type === "control") {
    if (counters !== undefined && message.line.includes("core.calls")) {
      const total = Atomics.load(new Int32Array(counters), 0);
      owner.postMessage({
        type: "control-answer",
        id: message.id,
        line: `{"jsonrpc":"2.0","result":${total},"id":${JSON.parse(message.line).id ?? null}}\n`,
      });
      return;
    }
    let id = "null";
    let line: string;
    try {
      const request = JSON.parse(message.line);
      id = JSON.stringify(request.id ?? null);
      line = request.method === "core.version"
        ? `{"jsonrpc":"2.0","result":"zerohop prototype","id":${id}}\n`
        : `{"jsonrpc":"2.0","error":{"code":-32601,"message":"method not found"},"id":${id}}\n`;
    } catch {
      line = `{"jsonrpc":"2.0","error":{"code":-32700,"message":"parse error"},"id":${id}}\n`;
    }
    owner.postMessage({ type: "control-answer", id: message.id, line });
  }
}
owner.onmessage = onOwnerMessage;
try {
  Deno.removeSync(path);
} catch {
  // none was there
}
// "+count" after the policy: the owner counts every call in shared counters, as the host must.
const counted = handoff.endsWith("+count");
const counters = counted ? new SharedArrayBuffer(4 * 26) : undefined;
const ownerInit = {
  type: "init",
  scriptUrl,
  path,
  handoff: handoff.replace(/\+count$/, ""),
  counters,
  dgram,
};
owner.postMessage(ownerInit);
Deno.addSignalListener("SIGTERM", () => {
  for (const file of [path, dgram]) {
    try {
      if (file !== "") Deno.removeSync(file);
    } catch {
      // gone already
    }
  }
  Deno.exit(0);
});
