/**
 * The zero-hop prototype's pool worker (issue 26): a Web Worker that owns
 * the RPC stream socket itself, reads newline-delimited JSON-RPC, runs
 * `evrexec.run NAME DATA` in this thread with the host's own worker code
 * (`perform` of src/worker/calls.ts, the real `KSR`) and writes the answer:
 * nothing crosses a thread on that path. Other methods cross to the main
 * thread (`control`), as control calls would in the design.
 *
 * Several workers share the one socket in the way the main thread names
 * (`handoff`): `never` (the owner runs every call), `busy:C` (the owner
 * runs a call while fewer than C of its own are unfinished, else hands it
 * to the least-loaded peer over a MessagePort), `alternate` (every other
 * call goes to a peer: the cost of the handoff itself), `budget:US` (the
 * owner runs calls until it has been busy US microseconds since it last
 * read the socket, then hands the rest of what it read to peers).
 *
 * Bench-only: not wired into the host. Started by bench/zerohop/server.ts.
 *
 * @module
 */

import { createKsr, emptyEvr } from "../../kemi/ksr.ts";
import type {} from "../../kemi/mod.ts";
import { type Outcome, perform } from "../../src/worker/calls.ts";
import type { ScriptFunction, WorkerContext } from "../../src/worker/context.ts";

/** What the main thread sends first. */
export interface ZeroInit {
  /** The script to load. */
  readonly scriptUrl: string;
  /** The socket path the owner binds; "" for a peer. */
  readonly path: string;
  /** `never`, `busy:C` or `alternate`. */
  readonly handoff: string;
  /**
   * Counters the main thread can read (`Int32Array` over it): [0] calls, [1]
   * failed calls, [2..] a latency histogram (bucket k: under 2^k µs).
   * Absent: nothing counted.
   */
  readonly counters?: SharedArrayBuffer;
}

/** A call handed from the owner to a peer. */
interface Handed {
  readonly id: number;
  readonly fn: string;
  readonly data: string;
}

/** A peer's answer to a handed call. */
interface HandedAnswer {
  readonly id: number;
  readonly outcome: Outcome;
}

interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;
const MAX_LINE = 1024 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const stopping = new AbortController();
const context: WorkerContext = {
  send: () => {},
  evr: emptyEvr(),
  stopping: stopping.signal,
  functions: new Map<string, ScriptFunction>(),
};
globalThis.KSR = createKsr({
  log: () => {},
  evr: context.evr,
  shutdown: stopping.signal,
  shutdownRead: () => {},
});

const ERR = {
  parse: -32700,
  invalid: -32600,
  notFound: -32601,
  params: -32602,
  threw: -32000,
} as const;

function errorLine(code: number, message: string, id: string): string {
  return `{"jsonrpc":"2.0","error":{"code":${code},"message":${
    JSON.stringify(message)
  }},"id":${id}}\n`;
}

function outcomeLine(outcome: Outcome, id: string): string {
  if (outcome.kind === "result") return `{"jsonrpc":"2.0","result":${outcome.text},"id":${id}}\n`;
  return `{"jsonrpc":"2.0","error":{"code":${ERR.threw},"message":"the function ${
    outcome.kind === "threw" ? "threw" : "returned a value with no JSON form"
  }","data":${outcome.text}},"id":${id}}\n`;
}

/** The owner's side of the peers: hands calls over and settles their answers. */
class Peers {
  readonly #ports: MessagePort[] = [];
  readonly #load: number[] = [];
  readonly #waiting = new Map<number, (outcome: Outcome) => void>();
  #next = 1;

  add(port: MessagePort): void {
    const index = this.#ports.length;
    this.#ports.push(port);
    this.#load.push(0);
    port.onmessage = (event: MessageEvent<HandedAnswer>) => {
      this.#load[index]--;
      const settle = this.#waiting.get(event.data.id);
      this.#waiting.delete(event.data.id);
      settle?.(event.data.outcome);
    };
  }

  get size(): number {
    return this.#ports.length;
  }

  /** Runs a call in the least-loaded peer. */
  run(fn: string, data: string): Promise<Outcome> {
    let best = 0;
    for (let i = 1; i < this.#load.length; i++) if (this.#load[i] < this.#load[best]) best = i;
    const id = this.#next++;
    this.#load[best]++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.#ports[best].postMessage({ id, fn, data } satisfies Handed);
    });
  }
}

const peers = new Peers();
let policy: (local: number) => boolean = () => true;
/** When this worker last came back from reading the socket: the start of its current busy stretch. */
let readAt = 0;
let localRunning = 0;
let alternate = 0;
let controlNext = 1;
const controlWaiting = new Map<number, (line: string) => void>();

/** Runs one call here or hands it to a peer, by the policy. */
function runCall(fn: string, data: string): Promise<Outcome> {
  const started = counts === null ? 0 : performance.now();
  const running = peers.size === 0 || policy(localRunning)
    ? (localRunning++, perform(context, fn, data).finally(() => localRunning--))
    : peers.run(fn, data);
  return counts === null ? running : running.then((outcome) => count(outcome, started));
}

/** The shared counters, or null when nothing is counted. */
let counts: Int32Array | null = null;
const BUCKETS = 24;

/** Counts one finished call in the shared counters. */
function count(outcome: Outcome, started: number): Outcome {
  const shared = counts!;
  const us = (performance.now() - started) * 1000;
  Atomics.add(shared, 0, 1);
  if (outcome.kind !== "result") Atomics.add(shared, 1, 1);
  const bucket = us < 1 ? 0 : Math.min(BUCKETS - 1, 32 - Math.clz32(us));
  Atomics.add(shared, 2 + bucket, 1);
  return outcome;
}

/** Sends a control call to the main thread and waits for its answer line. */
function control(line: string): Promise<string> {
  const id = controlNext++;
  return new Promise((resolve) => {
    controlWaiting.set(id, resolve);
    scope.postMessage({ type: "control", id, line });
  });
}

/** One request line to its answer line (a promise only when the call is not answered at once). */
function handle(line: string): string | Promise<string> {
  let request: { method?: unknown; params?: unknown; id?: unknown };
  try {
    request = JSON.parse(line);
  } catch {
    return errorLine(ERR.parse, "parse error", "null");
  }
  if (request === null || typeof request !== "object" || Array.isArray(request)) {
    return errorLine(ERR.invalid, "invalid request", "null");
  }
  const id = request.id === undefined ? "null" : JSON.stringify(request.id);
  const method = request.method;
  if (method !== "evrexec.run" && method !== "evroute.run") return control(line);
  const params = request.params;
  if (!Array.isArray(params) || typeof params[0] !== "string") {
    return errorLine(ERR.params, "usage: evrexec.run NAME [DATA]", id);
  }
  const data = params[1] === undefined ? "" : params[1];
  if (typeof data !== "string") return errorLine(ERR.params, "DATA must be a string", id);
  if (!context.functions.has(params[0])) {
    return errorLine(ERR.notFound, `no exported function ${JSON.stringify(params[0])}`, id);
  }
  return runCall(params[0], data).then((outcome) => outcomeLine(outcome, id));
}

/** One connection: lines in, answers out, coalesced per microtask checkpoint. */
async function serve(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  let partial = "";
  let out = "";
  let flushing: Promise<void> | null = null;
  let closed = false;
  const flush = async () => {
    while (out !== "" && !closed) {
      const bytes = encoder.encode(out);
      out = "";
      try {
        for (let done = 0; done < bytes.length;) done += await conn.write(bytes.subarray(done));
      } catch {
        closed = true;
      }
    }
    flushing = null;
  };
  const emit = (answer: string) => {
    out += answer;
    if (flushing === null) flushing = Promise.resolve().then(flush);
  };
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      readAt = performance.now();
      let text = decoder.decode(buffer.subarray(0, n), { stream: true });
      if (partial !== "") {
        text = partial + text;
        partial = "";
      }
      let start = 0;
      while (start < text.length) {
        const end = text.indexOf("\n", start);
        if (end < 0) {
          partial = text.slice(start);
          if (partial.length > MAX_LINE) throw new Error("line too long");
          break;
        }
        const answer = handle(text.slice(start, end));
        if (typeof answer === "string") emit(answer);
        else answer.then(emit);
        start = end + 1;
      }
    }
  } catch {
    // the client went away, or sent a line past the bound
  } finally {
    await flushing;
    closed = true;
    try {
      conn.close();
    } catch {
      // closed already
    }
  }
}

async function listen(path: string, takeover: boolean): Promise<void> {
  if (takeover) {
    // The old owner's file, unless its end removed it already (Deno 2.9.6 unlinks a Unix
    // listener's path when the listener is dropped with its worker).
    try {
      Deno.removeSync(path);
    } catch {
      // gone already
    }
  }
  const listener = Deno.listen({ transport: "unix", path });
  Deno.chmodSync(path, 0o600);
  scope.postMessage({ type: "listening" });
  for await (const conn of listener) serve(conn);
}

/**
 * The owner's datagram endpoint (`unixpacket`, as `--rpc-dgram unix:PATH`):
 * one request per datagram, answered to its sender, one at a time (Deno
 * throws "Busy" on a `send()` while a `receive()` is pending).
 */
async function serveDatagrams(path: string): Promise<void> {
  const socket = Deno.listenDatagram({ transport: "unixpacket", path });
  Deno.chmodSync(path, 0o600);
  while (true) {
    const [bytes, from] = await socket.receive();
    readAt = performance.now();
    const text = decoder.decode(bytes);
    const answer = await handle(text.endsWith("\n") ? text.slice(0, -1) : text);
    try {
      await socket.send(encoder.encode(answer), from);
    } catch {
      // the sender's socket is gone
    }
  }
}

function parsePolicy(text: string): (local: number) => boolean {
  if (text === "never") return () => true;
  if (text === "alternate") return () => (alternate++ & 1) === 0;
  const budget = /^budget:(\d+)$/.exec(text);
  if (budget) {
    const ms = Number(budget[1]) / 1000;
    return () => performance.now() - readAt < ms;
  }
  const busy = /^busy:(\d+)$/.exec(text);
  if (busy) {
    const cap = Number(busy[1]);
    return (local) => local < cap;
  }
  throw new Error(`unknown handoff ${text}`);
}

scope.onmessage = async (event: MessageEvent) => {
  const message = event.data;
  if (message.type === "peer") {
    peers.add(event.ports[0]);
    return;
  }
  if (message.type === "control-answer") {
    const settle = controlWaiting.get(message.id);
    controlWaiting.delete(message.id);
    settle?.(message.line);
    return;
  }
  if (message.type === "serve-peer") {
    // A peer: answers calls the owner hands over.
    const port = event.ports[0];
    port.onmessage = async (call: MessageEvent<Handed>) => {
      const outcome = await perform(context, call.data.fn, call.data.data);
      port.postMessage({ id: call.data.id, outcome } satisfies HandedAnswer);
    };
    return;
  }
  if (message.type !== "init") return;
  const init = message as ZeroInit & { type: "init" };
  const namespace = await import(init.scriptUrl);
  for (const [name, value] of Object.entries(namespace)) {
    if (typeof value === "function") context.functions.set(name, value as ScriptFunction);
  }
  policy = parsePolicy(init.handoff);
  if (init.counters !== undefined) counts = new Int32Array(init.counters);
  if (init.path === "") scope.postMessage({ type: "loaded" });
  else {
    if (typeof message.dgram === "string" && message.dgram !== "") serveDatagrams(message.dgram);
    await listen(init.path, message.takeover === true);
  }
};
