/**
 * A worker's spans, when the host runs with OpenTelemetry on (it says so in
 * the init message): one span per run of an exec task's function (the loop,
 * or each tick), the host's span of an RPC call made the active one while
 * the call runs, and KSR log records joined to the active span. Off, each
 * function here is one test of a variable.
 *
 * @module
 */

import { messageOf } from "../shared/error_text.ts";
import type { WorkerLogLevel } from "../shared/messages.ts";
import {
  type Attributes,
  contextWithParent,
  denoOtel,
  type Otel,
  SPAN_KEY,
  STATUS_ERROR,
} from "../shared/otel.ts";

/** The longest error message a span's status carries. */
const STATUS_MESSAGE_MAX = 300;

let otel: Otel | null = null;

/** Turns tracing on in this worker (the host runs with `OTEL_DENO=true`). */
export function startTracing(): void {
  otel = denoOtel();
}

/**
 * Runs `fn` in a span `evrexec.run <name>` of `kind` with `attributes()`
 * (asked for only when tracing), a child of `traceparent` when given; the span ends when `fn` settles, with
 * `evrexec.outcome` (`returned` or `threw`) and an error status when it threw.
 * Without tracing, runs `fn` alone.
 */
export async function inRunSpan<T>(
  name: string,
  kind: number,
  attributes: () => Attributes,
  fn: () => T | Promise<T>,
  traceparent?: string,
): Promise<T> {
  if (otel === null) return await fn();
  const tracer = otel;
  const parent = contextWithParent(tracer, traceparent);
  const span = tracer.startSpan(`evrexec.run ${name}`, kind, attributes(), parent);
  try {
    const value = await tracer.with(parent.setValue(SPAN_KEY, span), fn);
    span.setAttribute("evrexec.outcome", "returned");
    return value;
  } catch (error) {
    span.setAttribute("evrexec.outcome", "threw");
    span.setStatus({ code: STATUS_ERROR, message: messageOf(error).slice(0, STATUS_MESSAGE_MAX) });
    throw error;
  } finally {
    span.end();
  }
}

/** Runs `fn` with the span of `traceparent` (the host's span of an RPC call) active. */
export function inRemoteSpan<T>(traceparent: string | undefined, fn: () => T): T {
  if (otel === null || traceparent === undefined) return fn();
  return otel.with(contextWithParent(otel, traceparent), fn);
}

/**
 * A KSR log call as an OpenTelemetry log record joined to the active span:
 * Deno's OpenTelemetry makes log records of console calls only, so it goes
 * through the console (which also prints it; `OTEL_DENO_CONSOLE=replace`
 * keeps it off the terminal). Nothing without tracing or outside a span.
 */
export function logRecord(level: WorkerLogLevel, message: string): void {
  if (otel === null || otel.active().getValue(SPAN_KEY) === undefined) return;
  if (level === "debug") console.debug(message);
  else if (level === "info") console.info(message);
  else if (level === "warning") console.warn(message);
  else console.error(message);
}
