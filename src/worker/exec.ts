/**
 * The exec role: waits the task's `wait`, then calls its function with the
 * worker index as a string, once, and tells the host how it ended. A UDP
 * task's worker serves datagrams instead (`udp.ts`; with tracing, a span per
 * datagram), a timer task's ticks (`ticks.ts`).
 *
 * @module
 */

import { errorInfo } from "../shared/error_text.ts";
import type { InitMessage } from "../shared/messages.ts";
import { sleepUnlessStopped, type WorkerContext } from "./context.ts";
import { serveTicks } from "./ticks.ts";
import { inRunSpan } from "./run_trace.ts";
import { SpanKind } from "../shared/otel.ts";

/** Runs the exec task that `init` describes. */
export async function runTask(init: InitMessage, context: WorkerContext): Promise<void> {
  const { send, stopping } = context;
  const fn = context.functions.get(init.fn ?? "");
  if (fn === undefined) {
    const error = new Error(`${JSON.stringify(init.fn)} is not an exported function`);
    return send({ type: "ended", outcome: "threw", error: errorInfo(error) });
  }
  const waitFirst = () => sleepUnlessStopped((init.waitUs ?? 0) / 1000, stopping);
  const name = init.fn ?? "";
  if (init.sockaddr !== undefined) {
    const { serveUdp } = await import("./udp.ts");
    const evr = context.evr;
    // one span per datagram, a server span: a client sent it
    const datagramAttributes = () => ({
      "evrexec.task": init.task,
      "evrexec.worker.index": init.index,
      "evrexec.trigger": "datagram",
      "evrexec.fire_time": new Date().toISOString(),
      "client.address": evr.srcip ?? "",
      "client.port": evr.srcportno ?? 0,
    });
    return serveUdp({
      init: { ...init, sockaddr: init.sockaddr },
      fn: (text) => inRunSpan(name, SpanKind.SERVER, datagramAttributes, () => fn(text)),
      evr,
      send,
      stopping,
      waitFirst,
    });
  }
  if ((init.waitUs ?? 0) > 0) await waitFirst();
  if (stopping.aborted) return send({ type: "ended", outcome: "returned" });
  send({ type: "entered" });
  const attributes = (trigger: string, fireTime: number) => () => ({
    "evrexec.task": init.task,
    "evrexec.worker.index": init.index,
    "evrexec.trigger": trigger,
    "evrexec.fire_time": new Date(fireTime).toISOString(),
  });
  if (init.scheduled) {
    await serveTicks(context, (tick) =>
      inRunSpan(
        name,
        SpanKind.INTERNAL,
        attributes(tick.triggered ? "trigger" : "schedule", tick.due ?? Date.now()),
        () => fn(String(init.index)),
      ));
    return send({ type: "ended", outcome: "returned" });
  }
  try {
    // the loop is one span, from its call to its end: nothing marks its iterations
    const call = () => fn(String(init.index));
    await inRunSpan(name, SpanKind.INTERNAL, attributes("start", Date.now()), call);
    send({ type: "ended", outcome: "returned" });
  } catch (error) {
    // KSR.sleep ended by the stop: the function ends as the stop asks, not as a failure.
    if (stopping.aborted && error === stopping.reason) {
      return send({ type: "ended", outcome: "returned" });
    }
    send({ type: "ended", outcome: "threw", error: errorInfo(error) });
  }
}
