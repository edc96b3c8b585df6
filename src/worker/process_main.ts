/**
 * The entry of a process worker's child (`isolation=process`): a relay. It
 * holds the IPC channel to the host, which lives in this isolate only, and
 * runs the script in a Web Worker of its own on `main.ts`, as the host runs
 * a thread worker: the script reaches the relay only through the private
 * MessagePort of the init message, and cannot reach the host's channel
 * (`process.send` throws in a worker; the channel's resource is this
 * isolate's). When the channel closes (the host is gone, even by SIGKILL)
 * the child exits at once: this thread stays free while the script's spins.
 *
 * @module
 */

import process from "node:process";
import type { ChildToHost } from "../shared/child_messages.ts";
import { errorInfo } from "../shared/error_text.ts";
import type { HostToWorker, InitMessage } from "../shared/messages.ts";

const WORKER_URL = new URL("./main.ts", import.meta.url);

let port: MessagePort | null = null;

function toHost(message: ChildToHost): void {
  try {
    process.send!(message);
  } catch {
    Deno.exit(0); // the host is gone
  }
}

function start(init: InitMessage): void {
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
process.on("disconnect", () => Deno.exit(0));
