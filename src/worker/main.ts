/**
 * The entry module of every worker, and the only folder whose code runs
 * inside workers: sets the `KSR` global, imports the KEMI script, then runs
 * an exec task's function (`exec.ts`) or answers RPC calls (`calls.ts`).
 * It talks to the host only through the MessagePort of the init message,
 * kept here out of the script's reach; its listener for that message comes
 * before any of the script's (a sandboxed thread imports the script right
 * after this module). Kept small: each worker loads it.
 *
 * @module
 */

import { createKsr, emptyEvr } from "../../kemi/ksr.ts";
import type {} from "../../kemi/mod.ts"; // the typed KSR global; erased at run time
import { errorInfo } from "../shared/error_text.ts";
import type {
  HostToWorker,
  InitMessage,
  WorkerLogLevel,
  WorkerToHost,
} from "../shared/messages.ts";
import { perform, sendOutcome, serveChannel } from "./calls.ts";
import { WorkerChannel } from "./channel.ts";
import type { ScriptFunction, WorkerContext } from "./context.ts";
import { runTask } from "./exec.ts";
import { startHeartbeat } from "./heartbeat.ts";
import { logRecord, startTracing } from "./run_trace.ts";

interface WorkerScope {
  addEventListener(type: "message", listener: (event: MessageEvent<HostToWorker>) => void): void;
  removeEventListener(
    type: "message",
    listener: (event: MessageEvent<HostToWorker>) => void,
  ): void;
}

const scope = globalThis as unknown as WorkerScope;
/**
 * Sends to the host through the init message's port, bound before the script
 * loads. The global scope is the script's too (it may set `onmessage` or post
 * what it likes), so the host listens to this port only.
 */
let toHost: ((message: WorkerToHost) => void) | null = null;
/**
 * What the script sent before the init message: a sandboxed thread imports
 * the script with this module, before the host's port has come.
 */
const early: WorkerToHost[] = [];
const LEVEL_ORDER: Record<WorkerLogLevel, number> = {
  debug: 0,
  info: 1,
  warning: 2,
  error: 3,
  fatal: 4,
};
let lowestLevel = LEVEL_ORDER.info;
const stopping = new AbortController();
/** Whether the script has read `KSR.shutdown`: a stop then gives it its grace. */
let shutdownWatched = false;
const context: WorkerContext = {
  send: (message) => toHost === null ? early.push(message) : toHost(message),
  evr: emptyEvr(),
  stopping: stopping.signal,
  functions: new Map<string, ScriptFunction>(),
};

globalThis.KSR = createKsr({
  log(level, message) {
    if (LEVEL_ORDER[level] < lowestLevel) return;
    context.send({ type: "log", level, message });
    logRecord(level, message);
  },
  evr: context.evr,
  shutdown: stopping.signal,
  shutdownRead: () => {
    shutdownWatched = true;
  },
});

/** Imports the script and reports its exported functions; false if it did not load. */
async function load(url: string): Promise<boolean> {
  let namespace: Record<string, unknown>;
  try {
    namespace = await import(url);
  } catch (error) {
    context.send({ type: "load-failed", error: errorInfo(error) });
    return false;
  }
  for (const [name, value] of Object.entries(namespace)) {
    if (typeof value === "function") context.functions.set(name, value as ScriptFunction);
  }
  context.send({ type: "loaded", functions: [...context.functions.keys()] });
  return true;
}

/** Handles a message from the host, after the init message. */
function onHostMessage(message: HostToWorker): void {
  switch (message.type) {
    case "run":
      perform(context, message.fn, message.data, message.traceparent).then((outcome) =>
        sendOutcome(context, message.id, outcome)
      );
      break;
    case "stop":
      context.send({ type: "stop-ack", watched: shutdownWatched });
      stopping.abort();
      break;
    case "stats":
      context.send({ type: "stats", heapUsed: Deno.memoryUsage().heapUsed });
      break;
    case "tick":
      context.tick?.(message);
      break;
  }
}

/**
 * The init message, heard first: this listener is added before any script
 * code runs (a sandboxed thread imports the script right after this module),
 * and the script's own listeners never see the message or its port.
 */
function onInit(event: MessageEvent<HostToWorker>): void {
  const init = event.data;
  if (toHost !== null || init?.type !== "init" || event.ports.length !== 1) return;
  event.stopImmediatePropagation();
  scope.removeEventListener("message", onInit); // nothing more comes this way
  const port = event.ports[0];
  toHost = port.postMessage.bind(port);
  for (const message of early.splice(0)) toHost(message);
  lowestLevel = LEVEL_ORDER[init.logLevel];
  if (init.otel) startTracing();
  if (init.carrier !== undefined) return carry({ ...init, carrier: init.carrier }, port);
  port.onmessage = (message: MessageEvent<HostToWorker>) => onHostMessage(message.data);
  // Before the script loads: the host sends no call before "loaded".
  const channel = init.shared ? new WorkerChannel(init.shared) : null;
  // A capped worker reads its heap limit before the script can allocate.
  const ready = init.heartbeat ? startHeartbeat(init.heartbeat) : Promise.resolve();
  ready.then(() => load(init.scriptUrl)).then((ok) => {
    if (ok && init.role === "exec") return runTask(init, context);
    if (ok && channel !== null) return serveChannel(context, channel);
  });
}
scope.addEventListener("message", onInit);

/**
 * The thread of an `isolation=shared` group (`carrier.ts`, loaded only
 * here): what the host sends before the carrier is ready waits for it.
 */
function carry(init: InitMessage & { carrier: SharedArrayBuffer }, port: MessagePort): void {
  const waiting: HostToWorker[] = [];
  port.onmessage = (message: MessageEvent<HostToWorker>) => waiting.push(message.data);
  const ready = init.heartbeat ? startHeartbeat(init.heartbeat) : Promise.resolve();
  ready.then(() => import("./carrier.ts")).then(({ startCarrier }) =>
    startCarrier({
      init,
      toHost: (message) => context.send(message),
      logs: (level) => LEVEL_ORDER[level] >= lowestLevel,
      baseKsr: globalThis.KSR,
    })
  ).then((handle) => {
    port.onmessage = (message: MessageEvent<HostToWorker>) => handle(message.data);
    for (const message of waiting.splice(0)) handle(message);
  });
}
