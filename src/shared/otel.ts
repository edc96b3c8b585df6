/**
 * The few parts of Deno's built-in OpenTelemetry (`Deno.telemetry`, on when
 * the process starts with `OTEL_DENO=true`) that the host and its workers
 * use, typed narrowly, and W3C `traceparent` text. Nothing here imports
 * `@opentelemetry/api`: a worker stays small, and with OpenTelemetry off
 * none of this runs.
 *
 * @module
 */

/** A span as Deno's tracer makes it. */
export interface OtelSpan {
  /** Its ids. */
  spanContext(): { traceId: string; spanId: string; traceFlags: number };
  /** Sets one attribute. */
  setAttribute(key: string, value: string | number | boolean): void;
  /** Adds an event. */
  addEvent(name: string, attributes?: Record<string, string | number | boolean>): void;
  /** Sets its status: {@link STATUS_ERROR} with a message, or {@link STATUS_OK}. */
  setStatus(status: { code: number; message?: string }): void;
  /** Ends it, now or at `endTime` (ms since the epoch); it is exported then. */
  end(endTime?: number): void;
}

/** A context, as Deno's context manager keeps it. */
export interface OtelContext {
  /** A copy with `key` set. */
  setValue(key: symbol, value: unknown): OtelContext;
  /** The value of `key`. */
  getValue(key: symbol): unknown;
}

/** Attributes of a span. */
export type Attributes = Record<string, string | number | boolean>;

/** Deno's tracer and context manager, when OpenTelemetry is on. */
export interface Otel {
  /** Starts a span, a child of the span in `context` (or of none). */
  startSpan(name: string, kind: number, attributes: Attributes, context: OtelContext): OtelSpan;
  /** The active context. */
  active(): OtelContext;
  /** Runs `fn` with `context` active (across its awaits). */
  with<T>(context: OtelContext, fn: () => T): T;
}

/** Span kinds, as `@opentelemetry/api` numbers them. */
export const SpanKind = { INTERNAL: 0, SERVER: 1 } as const;
/** Span status codes, as `@opentelemetry/api` numbers them. */
export const STATUS_OK = 1;
/** The error status code. */
export const STATUS_ERROR = 2;
/** The key under which a context holds its span (the one `@opentelemetry/api` uses). */
export const SPAN_KEY: symbol = Symbol.for("OpenTelemetry Context Key SPAN");

interface DenoTelemetry {
  readonly tracerProvider: {
    getTracer(name: string, version?: string): {
      startSpan(
        name: string,
        options: { kind: number; attributes: Attributes },
        context?: OtelContext,
      ): OtelSpan;
    };
  };
  readonly contextManager: {
    active(): OtelContext;
    with<T>(context: OtelContext, fn: () => T): T;
  };
}

/** Deno's tracer as {@link Otel}, or null when this Deno has no `Deno.telemetry`. */
export function denoOtel(version = ""): Otel | null {
  const telemetry = (Deno as unknown as { telemetry?: DenoTelemetry }).telemetry;
  if (telemetry?.tracerProvider === undefined || telemetry.contextManager === undefined) {
    return null;
  }
  const tracer = telemetry.tracerProvider.getTracer("evrexec", version);
  const manager = telemetry.contextManager;
  return {
    startSpan: (name, kind, attributes, context) =>
      tracer.startSpan(name, { kind, attributes }, context),
    active: () => manager.active(),
    with: (context, fn) => manager.with(context, fn),
  };
}

/** A W3C trace context's ids, read from a `traceparent`. */
export interface TraceParent {
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex digits, not all zero. */
  readonly spanId: string;
  /** The flags (1: sampled). */
  readonly traceFlags: number;
}

/** The length of a version-00 `traceparent`. */
export const TRACEPARENT_LENGTH = 55;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Reads a version-00 `traceparent`; null when `text` is not one (or has an all-zero id). */
export function parseTraceparent(text: string): TraceParent | null {
  if (text.length !== TRACEPARENT_LENGTH) return null;
  const match = TRACEPARENT.exec(text);
  if (match === null || /^0+$/.test(match[1]) || /^0+$/.test(match[2])) return null;
  return { traceId: match[1], spanId: match[2], traceFlags: parseInt(match[3], 16) };
}

/** The `traceparent` of `span`. */
export function traceparentOf(span: OtelSpan): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

/** The active context with the span of `traceparent` (from elsewhere) as its span; as it is without one. */
export function contextWithParent(otel: Otel, traceparent: string | undefined): OtelContext {
  const active = otel.active();
  const parent = traceparent === undefined ? null : parseTraceparent(traceparent);
  if (parent === null) return active;
  const remote = { spanContext: () => ({ ...parent, isRemote: true }) };
  return active.setValue(SPAN_KEY, remote);
}
