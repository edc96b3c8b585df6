/**
 * The host's own counters as OpenTelemetry metrics, with OpenTelemetry on:
 * each Prometheus family of `/metrics` (`prom_families.ts`) becomes an
 * observable instrument of the same name, read when Deno's exporter
 * collects (every `OTEL_METRIC_EXPORT_INTERVAL` ms, 60 s by default), so
 * counting costs nothing more. The duration histogram goes as its `_sum`
 * and `_count` counters (OpenTelemetry has no observable histogram).
 *
 * @module
 */

import { VERSION } from "../base/version.ts";
import { FAMILIES, type MetricsSource } from "./prom_families.ts";

/** An observable instrument's result, as Deno's meter hands it to a callback. */
interface Observer {
  observe(value: number, attributes?: Record<string, string | number>): void;
}
/** The part of an observable instrument used here. */
interface Observable {
  addCallback(callback: (observer: Observer) => void): void;
}
/** The part of Deno's meter used here. */
interface Meter {
  createObservableCounter(name: string, options: { description: string }): Observable;
  createObservableGauge(name: string, options: { description: string }): Observable;
}

/** Registers every family of `host` with Deno's meter; false when this Deno has none. */
export function startOtelMetrics(host: MetricsSource): boolean {
  const provider = (Deno as unknown as {
    telemetry?: { meterProvider?: { getMeter(name: string, version: string): Meter } };
  }).telemetry?.meterProvider;
  if (provider === undefined) return false;
  const meter = provider.getMeter("evrexec", VERSION);
  for (const family of FAMILIES) {
    const description = family.help;
    if (family.type === "histogram") {
      for (const suffix of ["_sum", "_count"]) {
        const name = family.name + suffix;
        meter.createObservableCounter(name, { description }).addCallback((observer) => {
          for (const sample of family.samples(host)) {
            if (sample.metricName === name) observer.observe(sample.value, sample.labels);
          }
        });
      }
      continue;
    }
    const instrument = family.type === "counter"
      ? meter.createObservableCounter(family.name, { description })
      : meter.createObservableGauge(family.name, { description });
    instrument.addCallback((observer) => {
      for (const sample of family.samples(host)) observer.observe(sample.value, sample.labels);
    });
  }
  return true;
}
