/**
 * The worker side of a UDP task (`sockaddr=udp:HOST:PORT`): binds the
 * socket, then calls the task's function once per datagram, one at a time,
 * with the sockaddr as its argument and `$evr(...)` set from the datagram.
 * Loaded by `worker/main.ts` only for such tasks.
 *
 * @module
 */

import dgram from "node:dgram";
import { emptyEvr } from "../../kemi/ksr.ts";
import type { EvrValues } from "../../kemi/types.ts";
import { errorInfo } from "../shared/error_text.ts";
import type { InitMessage, WorkerToHost } from "../shared/messages.ts";

/** Datagrams that may wait for the function; more are dropped. */
const MAX_QUEUED = 1024;

/** What the UDP loop needs from the worker. */
export interface UdpContext {
  /** The init message, with the address to bind. */
  readonly init: InitMessage & { sockaddr: NonNullable<InitMessage["sockaddr"]> };
  /** The function called once per datagram. */
  readonly fn: (sockaddr: string) => unknown;
  /** Where `$evr(data)` is read; each datagram sets it for its call. */
  readonly evr: EvrValues;
  /** Sends a message to the host. */
  readonly send: (message: WorkerToHost) => void;
  /** Aborted when the host asks the worker to stop. */
  readonly stopping: AbortSignal;
  /** Resolves once the task's wait is over. */
  readonly waitFirst: () => Promise<void>;
}

function bind(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
    socket.once("error", reject);
    socket.bind(port, host, () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

/** Binds, waits the task's wait, then serves datagrams until the host stops. */
export async function serveUdp(context: UdpContext): Promise<void> {
  const { init, fn, evr, send, stopping } = context;
  let socket: dgram.Socket;
  try {
    socket = await bind(init.sockaddr.host, init.sockaddr.port);
  } catch (error) {
    return send({ type: "bind-failed", error: errorInfo(error) });
  }
  send({ type: "bound", port: socket.address().port });
  const queue: { data: string; address: string; port: number }[] = [];
  let wake: (() => void) | null = null;
  // A burst of drops lasts until the function has caught up (the queue is
  // empty): one warning when it begins, one line with the count when it ends.
  let dropped = 0;
  const warn = (message: string) => send({ type: "log", level: "warning", message });
  socket.on("message", (data, remote) => {
    if (queue.length >= MAX_QUEUED) {
      // As a full socket buffer would: the function cannot keep up.
      if (dropped++ === 0) {
        warn(`${init.sockaddr.text}: ${MAX_QUEUED} datagrams waiting; dropping more`);
      }
      return;
    }
    queue.push({ data: data.toString(), address: remote.address, port: remote.port });
    wake?.();
  });
  socket.on("error", (error) => send({ type: "datagram-failed", error: errorInfo(error) }));
  stopping.addEventListener("abort", () => wake?.(), { once: true });
  await context.waitFirst();
  if (stopping.aborted) {
    socket.close();
    return;
  }
  send({ type: "entered" });
  while (!stopping.aborted) {
    const datagram = queue.shift();
    if (datagram === undefined && dropped > 0) {
      warn(`${init.sockaddr.text}: caught up; ${dropped} datagrams were dropped`);
      dropped = 0;
    }
    if (datagram === undefined) {
      await new Promise<void>((resolve) => wake = resolve);
      wake = null;
      continue;
    }
    evr.data = datagram.data;
    evr.srcip = datagram.address;
    evr.srcport = String(datagram.port);
    evr.srcportno = datagram.port;
    try {
      await fn(init.sockaddr.text);
    } catch (error) {
      send({ type: "datagram-failed", error: errorInfo(error) });
    } finally {
      Object.assign(evr, emptyEvr());
    }
  }
  socket.close();
  send({ type: "ended", outcome: "returned" });
}
