/**
 * The entry module of every worker: sets the `KSR` global, imports the KEMI
 * script, then either runs an exec task's function (exec role) or answers
 * calls one at a time (RPC role), from the shared channel or, when a call
 * does not fit there, from `run` messages. Kept small: each worker loads it.
 *
 * @module
 */

import { createKsr, emptyEvr } from "../../kemi/ksr.ts";
import type {} from "../../kemi/mod.ts"; // the typed KSR global; erased at run time
import {
  errorInfo,
  type HostToWorker,
  type InitMessage,
  type WorkerLogLevel,
  type WorkerToHost,
} from "../shared/messages.ts";
import { SharedChannel } from "../shared/channel.ts";

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
    const { serveUdp } = await import("./udp.ts");
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

/** How one RPC call ended: the value's JSON, or the error as JSON. */
interface Outcome {
  readonly kind: "result" | "threw" | "not-json";
  readonly text: string;
}

const failed = (kind: "threw" | "not-json", error: unknown): Outcome => ({
  kind,
  text: JSON.stringify(errorInfo(error)),
});

/** Runs `fn(data)` with `$evr(data)` set; never throws. */
async function perform(name: string, data: string): Promise<Outcome> {
  const fn = functions.get(name);
  evr.data = data;
  try {
    if (fn === undefined) throw new Error(`${JSON.stringify(name)} is not an exported function`);
    const value = await fn(data);
    let text: string | undefined;
    try {
      text = JSON.stringify(value === undefined ? null : value);
    } catch (error) {
      return failed("not-json", error);
    }
    if (text === undefined) {
      return failed("not-json", new TypeError(`a value of type ${typeof value} has no JSON form`));
    }
    return { kind: "result", text };
  } catch (error) {
    return failed("threw", error);
  } finally {
    evr.data = "";
  }
}

/** Sends an outcome by postMessage. */
function sendOutcome(id: number, outcome: Outcome): void {
  if (outcome.kind === "result") return send({ type: "result", id, json: outcome.text });
  send({ type: "run-failed", id, reason: outcome.kind, error: JSON.parse(outcome.text) });
}

/** Answers calls from the shared channel, one at a time, for as long as the worker lives. */
async function serveShared(channel: SharedChannel): Promise<void> {
  while (true) {
    const request = await channel.next();
    const outcome = await perform(request.fn, request.data);
    if (!channel.answer(outcome.kind, outcome.text)) sendOutcome(request.id, outcome);
  }
}

scope.onmessage = (event) => {
  const message = event.data;
  switch (message.type) {
    case "init":
      lowestLevel = LEVEL_ORDER[message.logLevel];
      load(message.scriptUrl).then((ok) => {
        if (ok && message.role === "exec") return execute(message);
        if (ok && message.shared) return serveShared(new SharedChannel(message.shared));
      });
      break;
    case "run":
      perform(message.fn, message.data).then((outcome) => sendOutcome(message.id, outcome));
      break;
    case "stop":
      stopping.abort();
      break;
    case "stats":
      send({ type: "stats", heapUsed: Deno.memoryUsage().heapUsed });
      break;
  }
};
