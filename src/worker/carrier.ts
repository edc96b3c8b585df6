/**
 * The thread of an `isolation=shared` group: it imports the script once and
 * runs each invocation it is sent as an exec worker of its own would run
 * (`exec.ts`), concurrently, on this one thread. What a worker keeps to
 * itself, an invocation keeps too: its index, its `$var` space and `$evr`,
 * its `KSR.shutdown`, its log records. `KSR` is one global, so it reads the
 * invocation that runs now from an async context (`AsyncLocalStorage`,
 * which follows timers, promises and `fetch` in Deno 2.9). A dropped
 * invocation (stopped, restarted, or its task gone) cannot be interrupted,
 * but its timers no longer fire and nothing it sends reaches the host, so a
 * loop that awaits one ends there. The thread beats on a shared buffer
 * (`shared/shared_beat.ts`) and writes which invocation last had control,
 * so that the host sees a thread blocked in synchronous code and names the
 * invocation that blocked it.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { createKsr, emptyEvr } from "../../kemi/ksr.ts";
import type { Ksr } from "../../kemi/types.ts";
import { errorInfo } from "../shared/error_text.ts";
import type {
  ErrorInfo,
  HostToWorker,
  InitMessage,
  WorkerLogLevel,
  WorkerToHost,
} from "../shared/messages.ts";
import { SHARED_BEAT_MS, SharedBeat } from "../shared/shared_beat.ts";
import type { ScriptFunction, WorkerContext } from "./context.ts";
import { runTask } from "./exec.ts";
import { logRecord } from "./run_trace.ts";

/** What the worker's main hands over to the carrier. */
export interface CarrierSetup {
  /** The init message of the group's thread. */
  readonly init: InitMessage & { readonly carrier: SharedArrayBuffer };
  /** Sends to the host through the private port. */
  readonly toHost: (message: WorkerToHost) => void;
  /** True when records of `level` are sent (at or above the host's lowest level). */
  readonly logs: (level: WorkerLogLevel) => boolean;
  /** The KSR the script sees outside any invocation (while it loads). */
  readonly baseKsr: Ksr;
}

/** One invocation of the group's thread. */
interface Invocation {
  readonly inv: number;
  readonly context: WorkerContext;
  readonly ksr: Ksr;
  readonly stopper: AbortController;
  watched: boolean;
  dropped: boolean;
}

/**
 * Imports the script, then serves invocations until the thread ends.
 * Returns the handler of the host's messages.
 */
export async function startCarrier(setup: CarrierSetup): Promise<(message: HostToWorker) => void> {
  const { init, toHost, logs, baseKsr } = setup;
  const slots = new Int32Array(init.carrier);
  const current = new AsyncLocalStorage<Invocation>();
  const invocations = new Map<number, Invocation>();
  const mark = (invocation: Invocation) => Atomics.store(slots, SharedBeat.CURRENT, invocation.inv);
  Deno.unrefTimer(setInterval(() => Atomics.add(slots, SharedBeat.COUNT, 1), SHARED_BEAT_MS));
  guardTimers(current, mark);
  globalThis.KSR = ksrFacade(baseKsr, () => {
    const invocation = current.getStore();
    if (invocation === undefined) return baseKsr;
    mark(invocation);
    return invocation.ksr;
  });

  const functions = new Map<string, ScriptFunction>();
  let loadError: ErrorInfo | null = null;
  try {
    const namespace: Record<string, unknown> = await import(init.scriptUrl);
    for (const [name, value] of Object.entries(namespace)) {
      if (typeof value === "function") functions.set(name, value as ScriptFunction);
    }
  } catch (error) {
    loadError = errorInfo(error);
  }

  const invoke = (inv: number, workerInit: InitMessage) => {
    const stopper = new AbortController();
    const evr = emptyEvr();
    const invocation: Invocation = {
      inv,
      context: {
        send: (message) => {
          if (!invocation.dropped) toHost({ type: "from-inv", inv, message });
        },
        evr,
        stopping: stopper.signal,
        functions,
      },
      ksr: createKsr({
        log(level, message) {
          if (!logs(level) || invocation.dropped) return;
          invocation.context.send({ type: "log", level, message });
          logRecord(level, message); // with tracing, joined to the invocation's span
        },
        evr,
        shutdown: stopper.signal,
        shutdownRead: () => {
          invocation.watched = true;
        },
      }),
      stopper,
      watched: false,
      dropped: false,
    };
    invocations.set(inv, invocation);
    current.run(invocation, () => {
      mark(invocation);
      const { send } = invocation.context;
      if (loadError !== null) return send({ type: "load-failed", error: loadError });
      send({ type: "loaded", functions: [...functions.keys()] });
      runTask(workerInit, invocation.context).catch((error) =>
        send({ type: "ended", outcome: "threw", error: errorInfo(error) })
      );
    });
  };

  return (message) => {
    switch (message.type) {
      case "invoke":
        return invoke(message.inv, message.init);
      case "drop": {
        const invocation = invocations.get(message.inv);
        if (invocation === undefined) return;
        invocations.delete(message.inv);
        invocation.dropped = true;
        invocation.stopper.abort();
        return;
      }
      case "to-inv": {
        const invocation = invocations.get(message.inv);
        if (invocation === undefined) return;
        const { context } = invocation;
        const inner = message.message;
        current.run(invocation, () => {
          switch (inner.type) {
            case "stop":
              context.send({ type: "stop-ack", watched: invocation.watched });
              invocation.stopper.abort();
              break;
            case "stats":
              context.send({ type: "stats", heapUsed: Deno.memoryUsage().heapUsed });
              break;
            case "tick":
              context.tick?.(inner);
              break;
            case "run":
              break; // exec invocations take no calls
          }
        });
        return;
      }
      case "stats":
        return toHost({ type: "stats", heapUsed: Deno.memoryUsage().heapUsed });
    }
  };
}

/** A `KSR` whose every member is read from the invocation that runs now (`pick`). */
function ksrFacade(base: Ksr, pick: () => Ksr): Ksr {
  const facade = {} as Ksr;
  for (const key of Object.keys(base) as (keyof Ksr)[]) {
    Object.defineProperty(facade, key, { get: () => pick()[key], enumerable: true });
  }
  return facade;
}

/**
 * Wraps the thread's timers: a callback scheduled by an invocation runs in
 * it (marked as having control) unless it was dropped meanwhile.
 */
function guardTimers(
  current: AsyncLocalStorage<Invocation>,
  mark: (invocation: Invocation) => void,
): void {
  type Timer = (handler: unknown, ms?: number, ...args: unknown[]) => number;
  const wrap = (base: Timer): Timer => (handler, ms, ...args) => {
    const owner = current.getStore();
    if (owner === undefined || typeof handler !== "function") return base(handler, ms, ...args);
    const id = base(() => {
      if (owner.dropped) return clearInterval(id); // an interval of the dropped ends too
      mark(owner);
      handler(...args);
    }, ms);
    return id;
  };
  const timers = globalThis as unknown as { setTimeout: Timer; setInterval: Timer };
  timers.setTimeout = wrap(timers.setTimeout);
  timers.setInterval = wrap(timers.setInterval);
}
