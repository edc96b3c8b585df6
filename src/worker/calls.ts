/**
 * The RPC role: runs `fn(data)` for one call with `$evr(data)` set, and
 * answers through the shared channel or, when the answer does not fit, by
 * postMessage. Calls come one at a time.
 *
 * @module
 */

import { errorInfo } from "../shared/error_text.ts";
import type { WorkerChannel } from "./channel.ts";
import type { WorkerContext } from "./context.ts";
import { inRemoteSpan } from "./run_trace.ts";

/** How one RPC call ended: the value's JSON, or the error as JSON. */
export interface Outcome {
  /** How the call ended. */
  readonly kind: "result" | "threw" | "not-json";
  /** The value's JSON, or the error as JSON text. */
  readonly text: string;
}

const failed = (kind: "threw" | "not-json", error: unknown): Outcome => ({
  kind,
  text: JSON.stringify(errorInfo(error)),
});

/**
 * Runs `fn(data)` with `$evr(data)` set, and the host's span of the call
 * active when it sent one (`traceparent`); never throws.
 */
export async function perform(
  context: WorkerContext,
  name: string,
  data: string,
  traceparent?: string,
): Promise<Outcome> {
  const fn = context.functions.get(name);
  const evr = context.evr;
  evr.data = data;
  try {
    if (fn === undefined) throw new Error(`${JSON.stringify(name)} is not an exported function`);
    const value = await inRemoteSpan(traceparent, () => fn(data));
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
export function sendOutcome(context: WorkerContext, id: number, outcome: Outcome): void {
  if (outcome.kind === "result") return context.send({ type: "result", id, json: outcome.text });
  context.send({ type: "run-failed", id, reason: outcome.kind, error: JSON.parse(outcome.text) });
}

/** Answers calls from the shared channel, one at a time, for as long as the worker lives. */
export async function serveChannel(context: WorkerContext, channel: WorkerChannel): Promise<void> {
  while (true) {
    const request = await channel.next();
    const outcome = await perform(context, request.fn, request.data, request.traceparent);
    if (!channel.answer(outcome.kind, outcome.text)) sendOutcome(context, request.id, outcome);
  }
}
