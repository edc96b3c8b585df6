/**
 * The entry of a process worker's child (`isolation=process`): a relay. It
 * holds the IPC channel to the host, which lives in this isolate only, and
 * runs the script in a Web Worker of its own on `main.ts`, as the host runs
 * a thread worker: the script reaches the relay only through the private
 * MessagePort of the init message, and cannot reach the host's channel
 * (`process.send` throws in a worker; the channel's resource is this
 * isolate's). When the channel closes (the host is gone, even by SIGKILL)
 * the child exits at once (with its process group, where it may signal it):
 * this thread stays free while the script's spins.
 * It also exits once its parent is no longer the host (whose pid is its
 * first argument), in case the host died before the channel was watched.
 * The host starts it with Deno's inspector parked (`PARK_FLAGS`), so SIGUSR1
 * opens no debugger here either; a SIGUSR1 that opens one anyway (the script
 * called `node:inspector`'s `close()`) finds it closed at once.
 *
 * @module
 */

import process from "node:process";
import type { ChildToHost } from "../shared/child_messages.ts";
import { errorInfo } from "../shared/error_text.ts";
import type { HostToWorker, InitMessage } from "../shared/messages.ts";
import { guardSigusr1, parkInspector } from "../shared/inspector_park.ts";

const WORKER_URL = new URL("./main.ts", import.meta.url);

let port: MessagePort | null = null;
let label = "(before its init)";

const park = parkInspector();
guardSigusr1(
  park.kind === "parked" || park.kind === "running" ? park.port : null,
  () => {}, // harmless: SIGUSR1 must not end the child
  ({ ms }) =>
    console.error(
      `evrexec-deno: SIGUSR1 opened Deno's debugger on 127.0.0.1:9229 in process worker ` +
        `${label} (its script had closed the parked inspector); closed it after ${
          Math.round(ms)
        } ms`,
    ),
);

/**
 * Exits, and first ends what the script started: this child leads its own
 * process group (the host starts it detached), so SIGKILL to the group ends
 * every process in it, this one included. Deno allows that only with
 * `--allow-run` in full; without it, this child exits alone.
 */
function exitWithGroup(): never {
  try {
    Deno.kill(-Deno.pid, "SIGKILL");
  } catch {
    // not this process group's leader, or no --allow-run in full
  }
  Deno.exit(0);
}

function toHost(message: ChildToHost): void {
  try {
    process.send!(message);
  } catch {
    exitWithGroup(); // the host is gone
  }
}

function start(init: InitMessage): void {
  label = `${init.task}#${init.index}`;
  const worker = new Worker(WORKER_URL, { type: "module", name: `${init.task}#${init.index}` });
  const channel = new MessageChannel();
  port = channel.port1;
  port.onmessage = (event: MessageEvent<ChildToHost>) => toHost(event.data);
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    const where = event.filename ? ` (${event.filename}:${event.lineno}:${event.colno})` : "";
    toHost({ type: "worker-error", error: { name: "Error", message: `${event.message}${where}` } });
  };
  worker.postMessage(init, [channel.port2]);
}

process.on("message", (message: HostToWorker) => {
  if (port !== null) return port.postMessage(message);
  if (message.type !== "init") return;
  try {
    start(message);
  } catch (error) {
    toHost({ type: "worker-error", error: errorInfo(error) });
  }
});
process.on("disconnect", () => exitWithGroup());

// The channel's close is missed when the host dies before this module has
// registered its listeners (seen: a child started as its host was SIGKILLed
// lived on for good). The host's pid is this child's first argument: once the
// child's parent is another process, the host is gone.
const HOST_PID = Number(Deno.args[0]);
const PARENT_CHECK_MS = 500;
if (Number.isInteger(HOST_PID) && HOST_PID > 0) {
  const exitWhenOrphaned = () => {
    if (Deno.ppid !== HOST_PID) exitWithGroup();
  };
  exitWhenOrphaned();
  Deno.unrefTimer(setInterval(exitWhenOrphaned, PARENT_CHECK_MS));
}
