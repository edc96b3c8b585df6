/**
 * `isolation=shared`: the workers of the tasks of one group are invocations
 * in one thread (`worker/carrier.ts`), started the first time one is asked
 * for and ended when its last invocation ends. Each invocation is a
 * {@link WorkerHandle} of its own, so a task supervises it as it would a
 * thread: its state, index, stop rule, restarts and backoff are its own.
 *
 * The one thing an invocation can do to the others is block the thread in
 * synchronous code. The thread beats on a shared buffer
 * (`shared/shared_beat.ts`); a beat that stops for {@link BLOCKED_AFTER_MS}
 * of the host's own time while the host's clock runs on time means a block:
 * the host names the invocation that last had control, terminates the
 * thread (listed as stuck if it does not end, as any thread), and every
 * invocation of the group is ended with that reason, to be restarted by its
 * task's policy on a new thread.
 *
 * An invocation that is stopped but does not end by itself is dropped: it
 * cannot be interrupted, but its timers no longer fire and nothing it sends
 * is heard.
 *
 * @module
 */

import { log } from "../base/log.ts";
import type { Sandbox } from "../config/sandbox.ts";
import { permissionsText } from "../config/sandbox.ts";
import type { ErrorInfo, HostToWorker, InitMessage, WorkerToHost } from "../shared/messages.ts";
import { quoteValue } from "../shared/quote.ts";
import { SharedBeat, sharedBeatBuffer } from "../shared/shared_beat.ts";
import { type WorkerEvents, WorkerHandle, type WorkerOptions } from "./handle.ts";
import { NodeWorkerHandle } from "./node_thread.ts";
import type { WorkerRegistry } from "./registry.ts";
import { WebWorkerHandle, WORKER_URL } from "./web_thread.ts";
import { ensureDescriptors } from "./descriptor_room.ts";

/** A group's thread whose beat has stopped this long (ms) is blocked. */
export const BLOCKED_AFTER_MS = 1000;
/** How often the host reads a group's beat, ms. */
const WATCH_MS = 250;

/** The groups of one host, by name, script version and sandbox. */
export class SharedGroups {
  #groups = new Map<string, SharedGroup>();
  #registry: WorkerRegistry;

  /** No group yet; `registry` lists the groups' threads. */
  constructor(registry: WorkerRegistry) {
    this.#registry = registry;
  }

  /** Starts invocation `init` in its group's thread, starting the thread if it has none. */
  invoke(init: InitMessage, events: WorkerEvents, options: WorkerOptions): WorkerHandle {
    const { sandbox } = options;
    const name = sandbox.group ?? init.task;
    const own = sandbox.group === undefined ? "task" : "group"; // a task's own group is apart
    const key = [own, name, init.scriptUrl, sandbox.heapMiB, permissionsText(sandbox.permissions)]
      .join("\0");
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = new SharedGroup(name, init, sandbox, this.#registry, () => this.#groups.delete(key));
      this.#groups.set(key, group);
    }
    return group.invoke(init, events, sandbox, this.#registry);
  }
}

/** One group: its thread and the invocations in it. */
class SharedGroup {
  readonly name: string;
  #carrier: WorkerHandle;
  #invocations = new Map<number, InvocationHandle>();
  #next = 0;
  #beat = new Int32Array(sharedBeatBuffer());
  #watch: ReturnType<typeof setInterval>;
  #forget: (() => void) | null;

  constructor(
    name: string,
    first: InitMessage,
    sandbox: Sandbox,
    registry: WorkerRegistry,
    onEmpty: () => void,
  ) {
    this.name = name;
    this.#forget = onEmpty;
    const init: InitMessage = {
      type: "init",
      role: "exec",
      scriptUrl: first.scriptUrl,
      task: name,
      index: 0,
      logLevel: first.logLevel,
      ...(first.otel ? { otel: true } : {}), // tracing: the shared thread makes spans too
      carrier: this.#beat.buffer as SharedArrayBuffer,
    };
    const events: WorkerEvents = {
      message: (message) => this.#heard(message),
      crash: (error) => this.#crashed(error),
    };
    ensureDescriptors(WORKER_URL);
    this.#carrier = sandbox.heapMiB > 0
      ? new NodeWorkerHandle(init, events, registry, { sandbox })
      : new WebWorkerHandle(init, events, registry, { sandbox });
    this.#watch = this.#watchBeat();
  }

  /** A new invocation of this group's thread. */
  invoke(
    init: InitMessage,
    events: WorkerEvents,
    sandbox: Sandbox,
    registry: WorkerRegistry,
  ): InvocationHandle {
    const inv = this.#next++;
    const carrier = this.#carrier;
    const handle = new InvocationHandle(init, events, registry, carrier, sandbox, inv, () => {
      this.#invocations.delete(inv);
      if (this.#invocations.size === 0) this.#end();
    });
    this.#invocations.set(inv, handle);
    this.#carrier.post({ type: "invoke", inv, init });
    return handle;
  }

  /** The thread ends with its last invocation: the next one starts a new thread. */
  #end(): Promise<boolean> {
    this.#onEmpty();
    return this.#carrier.stop();
  }

  /** No new invocation comes here any more; the beat is no longer read. */
  #onEmpty(): void {
    clearInterval(this.#watch);
    this.#forget?.();
    this.#forget = null;
  }

  #heard(message: WorkerToHost): void {
    if (message.type === "from-inv") this.#invocations.get(message.inv)?.hear(message.message);
    else if (message.type === "log") {
      log().info("shared group {group}: {message}", {
        group: quoteValue(this.name),
        message: message.message,
      });
    }
  }

  #crashed(error: ErrorInfo): void {
    this.#onEmpty();
    for (const invocation of [...this.#invocations.values()]) invocation.kill(error);
    this.#invocations.clear();
  }

  /** Reads the thread's beat; a beat stopped while the host's clock runs on time is a block. */
  #watchBeat(): ReturnType<typeof setInterval> {
    let count = Atomics.load(this.#beat, SharedBeat.COUNT);
    let still = 0; // ms of the host's own time the count has not moved
    let last = performance.now();
    const watch = setInterval(() => {
      const now = performance.now();
      const late = now - last > WATCH_MS * 3; // the host's own thread was held: judge nothing
      last = now;
      const seen = Atomics.load(this.#beat, SharedBeat.COUNT);
      if (seen !== count || late || count === 0) {
        count = seen;
        still = 0;
        return;
      }
      still += WATCH_MS;
      if (still >= BLOCKED_AFTER_MS) this.#blocked(still);
    }, WATCH_MS);
    Deno.unrefTimer(watch);
    return watch;
  }

  #blocked(ms: number): void {
    const culprit = this.#invocations.get(Atomics.load(this.#beat, SharedBeat.CURRENT));
    const who = culprit?.label ?? "an invocation that has ended";
    log().error(
      "shared group {group}: {who} has blocked the group's thread for over {ms} ms in " +
        "synchronous code; the group's thread is restarted with its {count} invocation(s) " +
        "(isolation=shared is for code that awaits)",
      { group: quoteValue(this.name), who, ms, count: this.#invocations.size },
    );
    const error = {
      name: "Error",
      message: `${who} blocked the shared thread of group ${
        quoteValue(this.name)
      } for over ${ms} ms in synchronous code; the group was restarted`,
    };
    this.#carrier.kill(error); // its crash ends every invocation with this reason
  }
}

/** One invocation in a group's thread, supervised as a worker of its own. */
class InvocationHandle extends WorkerHandle {
  #carrier: WorkerHandle;
  #inv: number;
  #onEnd: () => void;

  constructor(
    init: InitMessage,
    events: WorkerEvents,
    registry: WorkerRegistry,
    carrier: WorkerHandle,
    sandbox: Sandbox,
    inv: number,
    onEnd: () => void,
  ) {
    super(init, events, registry, sandbox);
    this.#carrier = carrier;
    this.#inv = inv;
    this.#onEnd = onEnd;
  }

  /** Settled at once: an invocation ends with its drop (its thread's own end is its group's). */
  get ended(): Promise<boolean> {
    return Promise.resolve(false);
  }

  /** A message from this invocation, routed by its group. */
  hear(message: WorkerToHost): void {
    this.heard(message);
  }

  protected send(message: HostToWorker): void {
    if (message.type === "init" || message.type === "invoke") return;
    if (message.type === "to-inv" || message.type === "drop") return;
    this.#carrier.post({ type: "to-inv", inv: this.#inv, message });
  }

  protected end(): void {
    this.#carrier.post({ type: "drop", inv: this.#inv });
    this.#onEnd();
  }
}
