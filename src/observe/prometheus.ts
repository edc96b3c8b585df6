/**
 * The Prometheus exposition: a prom-client registry of the host's families
 * (`prom_families.ts`) and of the process metrics that hold under Deno.
 * prom-client writes the text format; values are read at scrape time, so
 * counting stays a field increment.
 *
 * @module
 */

import client from "prom-client";
import { FAMILIES, type MetricsSource } from "./prom_families.ts";
import { PROCESS_FAMILIES } from "./process_metrics.ts";
import { FLEET_FAMILIES } from "./fleet_families.ts";

/**
 * The metrics of prom-client's default collectors that hold under Deno;
 * the others read Node's event loop, or `/proc/self` through `node:fs`
 * (see `process_metrics.ts`).
 */
function keepDefault(name: string): boolean {
  return name.startsWith("process_cpu_") || name === "process_start_time_seconds" ||
    name.startsWith("nodejs_heap_") || name === "nodejs_external_memory_bytes";
}

/** A registry of every family over `host`, plus the process's metrics. */
export function metricsRegistry(host: MetricsSource): client.Registry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  for (const metric of registry.getMetricsAsArray()) {
    if (!keepDefault(metric.name)) registry.removeSingleMetric(metric.name);
  }
  for (const family of [...PROCESS_FAMILIES, ...FAMILIES, ...FLEET_FAMILIES]) {
    const metric = {
      name: family.name,
      help: family.help,
      type: family.type,
      aggregator: "sum",
      get: () => ({ ...metric, values: family.samples(host) }),
      reset() {},
    };
    // prom-client formats any object with a name and get(); its types only list its own classes.
    registry.registerMetric(metric as unknown as client.Metric);
  }
  return registry;
}
