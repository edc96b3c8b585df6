/**
 * The entry module of every worker: sets the `KSR` global, imports the KEMI
 * script, then either runs an exec task's function (exec role) or answers
 * `run` messages one at a time (RPC role). Kept small: each worker loads it.
 *
 * @module
 */

import { createKsr, emptyEvr } from "../kemi/ksr.ts";
import type {} from "../kemi/mod.ts"; // the typed KSR global; erased at run time
import {
  errorInfo,
  type HostToWorker,
  type InitMessage,
  type RunMessage,
  type WorkerLogLevel,
  type WorkerToHost,
} from "./protocol.ts";

interface WorkerScope {
  postMessage(message: WorkerToHost): void;
  onmessage: ((event: MessageEvent<HostToWorker>) => void) | null;
}

// deno-lint-ignore ban-types -- exported functions of any signature
type ScriptFunction = Function;

const scope = globalThis as unknown as WorkerScope;
const send = (message: WorkerToHost) => scope.postMessage(message);
const LEVEL_ORDER: Record<WorkerLogLevel, number> = {
  debug: 0,
  info: 1,
  warning: 2,
  error: 3,
  fatal: 4,
};
let lowestLevel = LEVEL_ORDER.info;
const evr = emptyEvr();
const stopping = new AbortController();
const functions = new Map<string, ScriptFunction>();

globalThis.KSR = createKsr({
  log(level, message) {
    if (LEVEL_ORDER[level] >= lowestLevel) send({ type: "log", level, message });
  },
  evr,
  shutdown: stopping.signal,
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (stopping.signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    stopping.signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

async function load(url: string): Promise<boolean> {
  let namespace: Record<string, unknown>;
  try {
    namespace = await import(url);
  } catch (error) {
    send({ type: "load-failed", error: errorInfo(error) });
    return false;
  }
  for (const [name, value] of Object.entries(namespace)) {
    if (typeof value === "function") functions.set(name, value as ScriptFunction);
  }
  send({ type: "loaded", functions: [...functions.keys()] });
  return true;
}

async function execute(init: InitMessage): Promise<void> {
  const fn = functions.get(init.fn ?? "");
  if (fn === undefined) {
    const error = new Error(`${JSON.stringify(init.fn)} is not an exported function`);
    return send({ type: "ended", outcome: "threw", error: errorInfo(error) });
  }
  const waitFirst = () => sleep((init.waitUs ?? 0) / 1000);
  if (init.sockaddr !== undefined) {
    const { serveUdp } = await import("./worker_udp.ts");
    const sockaddr = init.sockaddr;
    return serveUdp({
      init: { ...init, sockaddr },
      fn: (text) => fn(text),
      evr,
      send,
      stopping: stopping.signal,
      waitFirst,
    });
  }
  if ((init.waitUs ?? 0) > 0) await waitFirst();
  if (stopping.signal.aborted) return send({ type: "ended", outcome: "returned" });
  send({ type: "entered" });
  try {
    await fn(String(init.index));
    send({ type: "ended", outcome: "returned" });
  } catch (error) {
    send({ type: "ended", outcome: "threw", error: errorInfo(error) });
  }
}

async function run(message: RunMessage): Promise<void> {
  const fn = functions.get(message.fn);
  evr.data = message.data;
  try {
    if (fn === undefined) {
      throw new Error(`${JSON.stringify(message.fn)} is not an exported function`);
    }
    const value = await fn(message.data);
    let json: string | undefined;
    try {
      json = JSON.stringify(value === undefined ? null : value);
    } catch (error) {
      return send({
        type: "run-failed",
        id: message.id,
        reason: "not-json",
        error: errorInfo(error),
      });
    }
    if (json === undefined) {
      const error = new TypeError(`a value of type ${typeof value} has no JSON form`);
      return send({
        type: "run-failed",
        id: message.id,
        reason: "not-json",
        error: errorInfo(error),
      });
    }
    send({ type: "result", id: message.id, json });
  } catch (error) {
    send({ type: "run-failed", id: message.id, reason: "threw", error: errorInfo(error) });
  } finally {
    evr.data = "";
  }
}

scope.onmessage = (event) => {
  const message = event.data;
  switch (message.type) {
    case "init":
      lowestLevel = LEVEL_ORDER[message.logLevel];
      load(message.scriptUrl).then((ok) => {
        if (ok && message.role === "exec") return execute(message);
      });
      break;
    case "run":
      run(message);
      break;
    case "stop":
      stopping.abort();
      break;
    case "stats":
      send({ type: "stats", heapUsed: Deno.memoryUsage().heapUsed });
      break;
  }
};
