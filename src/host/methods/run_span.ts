/**
 * The span of an `evrexec.run` call, with OpenTelemetry on: `evrexec.run
 * <function>`, kind server, a child of the caller's `traceparent` (from the
 * params' `metadata`), from the call's arrival to its answer; its
 * `traceparent` goes to the pool worker, where the function runs with it
 * active. Also reads and checks that `metadata`.
 *
 * @module
 */

import { otelState } from "../../base/otel_env.ts";
import { VERSION } from "../../base/version.ts";
import type { JobTrace } from "../../pool/job.ts";
import { PoolError } from "../../pool/pool_error.ts";
import { badParams } from "../../rpc/params.ts";
import { messageOf } from "../../shared/error_text.ts";
import {
  contextWithParent,
  denoOtel,
  type Otel,
  parseTraceparent,
  SpanKind,
  STATUS_ERROR,
  traceparentOf,
} from "../../shared/otel.ts";

/** The longest error message a span's status carries. */
const STATUS_MESSAGE_MAX = 300;

let otel: Otel | null | undefined;

function tracer(): Otel | null {
  if (otel === undefined) otel = otelState() === "on" ? denoOtel(VERSION) : null;
  return otel;
}

/** One call's span: what the pool carries, and its end. */
export interface RunSpan {
  /** Handed to the pool with the call. */
  readonly trace: JobTrace;
  /** Ends the span: answered (no error), or failed with `error`. */
  end(error?: unknown): void;
}

/**
 * The caller's `traceparent` from `evrexec.run`'s `metadata` param
 * (`{"traceparent": "00-…"}`), or undefined without one; throws a -32602
 * error for metadata that is not an object or a traceparent that is not W3C's.
 * Nothing else of the metadata is read.
 */
export function callerTraceparent(metadata: unknown): string | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  if (typeof metadata !== "object" || Array.isArray(metadata)) {
    throw badParams('metadata must be an object, such as {"traceparent": "00-…"}');
  }
  const traceparent = (metadata as Record<string, unknown>).traceparent;
  if (traceparent === undefined) return undefined;
  if (typeof traceparent !== "string" || parseTraceparent(traceparent) === null) {
    throw badParams(
      "metadata.traceparent must be a W3C traceparent: 00-<32 hex digits>-<16 hex digits>-<2 hex digits>, ids not all zero",
    );
  }
  return traceparent;
}

/** Starts the span of a call of `fn`; null with OpenTelemetry off. */
export function startRunSpan(fn: string, parent: string | undefined): RunSpan | null {
  const tracer_ = tracer();
  if (tracer_ === null) return null;
  const span = tracer_.startSpan(`evrexec.run ${fn}`, SpanKind.SERVER, {
    "evrexec.task": "rpc",
    "evrexec.function": fn,
    "evrexec.trigger": "rpc",
    "evrexec.fire_time": new Date().toISOString(),
  }, contextWithParent(tracer_, parent));
  let index = -1;
  return {
    trace: { traceparent: traceparentOf(span), given: (i) => index = i },
    end(error?: unknown) {
      // Ended after the answer has gone out, at the time it was ready: each call
      // into Deno's tracer costs µs, and the caller waits for none of these.
      const at = performance.timeOrigin + performance.now();
      setTimeout(() => {
        if (index >= 0) span.setAttribute("evrexec.worker.index", index);
        if (error === undefined) {
          span.setAttribute("evrexec.outcome", "ok");
        } else {
          span.setAttribute("evrexec.outcome", error instanceof PoolError ? error.kind : "error");
          const message = messageOf(error).slice(0, STATUS_MESSAGE_MAX);
          span.setStatus({ code: STATUS_ERROR, message });
        }
        span.end(at);
      }, 0);
    },
  };
}
