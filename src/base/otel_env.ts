/**
 * Whether the host runs with Deno's built-in OpenTelemetry: Deno turns it
 * on when the process starts with `OTEL_DENO=true` (no flag needed since
 * Deno 2.2; `--unstable-otel` before), and exports to
 * `OTEL_EXPORTER_OTLP_ENDPOINT`. Read once.
 *
 * @module
 */

/** `on`; `off`; or `missing`: `OTEL_DENO` asks for it, but this Deno has no `Deno.telemetry`. */
export type OtelState = "on" | "off" | "missing";

let state: OtelState | null = null;

/** The host's OpenTelemetry state, read once from `OTEL_DENO` and `Deno.telemetry`. */
export function otelState(): OtelState {
  if (state !== null) return state;
  let asked = false;
  try {
    const value = Deno.env.get("OTEL_DENO")?.toLowerCase();
    asked = value === "true" || value === "1";
  } catch {
    // no --allow-env for it: off
  }
  const present = (Deno as unknown as { telemetry?: object }).telemetry !== undefined;
  return state = !asked ? "off" : present ? "on" : "missing";
}

/** The line the host logs when {@link otelState} is `missing`. */
export const OTEL_MISSING_LINE: string =
  "OTEL_DENO=true, but this Deno has no built-in OpenTelemetry (Deno.telemetry): no spans or " +
  "OpenTelemetry metrics (Deno 2.2 or later has it; Deno 2.0-2.1 need --unstable-otel)";
