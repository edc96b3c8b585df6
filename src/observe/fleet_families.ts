/**
 * The fleet's metric families (`evrexec_cluster_*`), for a host started with
 * `--cluster`; a host alone has no samples in them.
 *
 * @module
 */

import type { Family, MetricsSource, Sample } from "./prom_families.ts";
import type { ObservedFleet } from "./observed_fleet.ts";

function fleetFamily(
  name: string,
  help: string,
  type: "counter" | "gauge",
  read: (fleet: ObservedFleet) => Sample[],
): Family {
  return {
    name,
    help,
    type,
    samples: (host: MetricsSource) => host.fleet ? read(host.fleet) : [],
  };
}

const one = (value: number): Sample[] => [{ labels: {}, value }];

/** The `evrexec_cluster_*` families. */
export const FLEET_FAMILIES: readonly Family[] = [
  fleetFamily(
    "evrexec_cluster_database_up",
    "1 while the fleet's database answers this host, else 0.",
    "gauge",
    (fleet) => one(fleet.databaseUp ? 1 : 0),
  ),
  fleetFamily(
    "evrexec_cluster_statements_total",
    "Statements this host sent to the fleet's database.",
    "counter",
    (fleet) => one(fleet.store.db.counts.queries),
  ),
  fleetFamily(
    "evrexec_cluster_statement_failures_total",
    "Statements to the fleet's database that failed.",
    "counter",
    (fleet) => one(fleet.store.db.counts.failures),
  ),
  fleetFamily(
    "evrexec_cluster_lease_held",
    "1 while this host holds the lease of a singleton task, else 0.",
    "gauge",
    (fleet) =>
      fleet.singletons.map((s) => ({ labels: { task: s.task }, value: s.holding ? 1 : 0 })),
  ),
  fleetFamily(
    "evrexec_cluster_lease_acquisitions_total",
    "Times this host took the lease of a singleton task.",
    "counter",
    (fleet) => fleet.singletons.map((s) => ({ labels: { task: s.task }, value: s.counts.holds })),
  ),
  fleetFamily(
    "evrexec_cluster_fires_total",
    "Fires of scheduled singleton tasks this host ran or met, by outcome.",
    "counter",
    (fleet) =>
      fleet.singletons.flatMap((s) =>
        (["done", "failed", "unrecorded", "taken", "fenced"] as const).map((outcome) => ({
          labels: { task: s.task, outcome },
          value: s.counts[outcome],
        }))
      ),
  ),
  fleetFamily(
    "evrexec_cluster_jobs_total",
    "Submitted calls this host ran, by outcome (superseded: refused by fencing).",
    "counter",
    (fleet) =>
      (["done", "failed", "superseded"] as const).map((outcome) => ({
        labels: { outcome },
        value: fleet.jobs.counts[outcome],
      })),
  ),
  fleetFamily(
    "evrexec_cluster_jobs_running",
    "Submitted calls this host runs now.",
    "gauge",
    (fleet) => one(fleet.jobs.running),
  ),
  fleetFamily(
    "evrexec_cluster_queue",
    "Submitted calls in the fleet's queue, by state (as last read; each scrape reads anew).",
    "gauge",
    (fleet) => {
      const depth = fleet.depth();
      if (depth === null) return [];
      return [
        { labels: { state: "queued" }, value: depth.queued },
        { labels: { state: "running" }, value: depth.running },
        { labels: { state: "expired" }, value: depth.expired },
      ];
    },
  ),
];
