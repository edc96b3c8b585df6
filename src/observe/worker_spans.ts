/**
 * Supervision as OpenTelemetry spans, with OpenTelemetry on: each worker
 * failure, backoff, restart and stuck verdict is a short span of its own
 * (`evrexec.worker.failure` and so on), so that a trace backend shows them
 * beside the runs they interrupted. Their own spans, not events of the run's
 * span: a failed run's span has ended (or never will, for a worker stopped
 * while stuck), and a backoff or restart belongs to no run.
 *
 * @module
 */

import type { StuckWorker } from "../spawn/registry.ts";
import type { WorkerState } from "../spawn/worker_states.ts";
import { type Otel, SpanKind, STATUS_ERROR } from "../shared/otel.ts";
import { cut } from "./recent_trail.ts";
import type { SlotLike } from "./stats.ts";

/** Makes the spans of supervision through `otel`. */
export class WorkerSpans {
  #otel: Otel;

  /** Spans through `otel` (Deno's tracer). */
  constructor(otel: Otel) {
    this.#otel = otel;
  }

  /** The worker states' hook: a span for each failure, backoff and restart. */
  readonly workerState = (
    slot: SlotLike,
    state: WorkerState,
    error: string | undefined,
    previous: WorkerState,
  ): void => {
    let what: string;
    if (state === "failed" && error !== undefined) what = "failure";
    else if (state === "backoff") what = "backoff";
    else if (state === "starting" && (previous === "backoff" || previous === "failed")) {
      what = "restart";
    } else return;
    this.#emit(what, {
      "evrexec.task": slot.task,
      "evrexec.worker.index": slot.index,
      "evrexec.role": slot.role,
    }, error);
  };

  /** A worker was judged stuck in synchronous code and stopped. */
  stuck(worker: StuckWorker): void {
    this.#emit("stuck", { "evrexec.worker": worker.label, "evrexec.role": worker.role }, "stuck");
  }

  #emit(what: string, attributes: Record<string, string | number>, error?: string): void {
    const otel = this.#otel;
    const span = otel.startSpan(
      `evrexec.worker.${what}`,
      SpanKind.INTERNAL,
      attributes,
      otel.active(),
    );
    if (error !== undefined) span.setStatus({ code: STATUS_ERROR, message: cut(error) });
    span.end();
  }
}
