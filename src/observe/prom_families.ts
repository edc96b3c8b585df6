/**
 * The host's metric families for Prometheus: the same counters as
 * `stats.*`, as `_total` counters with labels, a histogram of `evrexec.run`
 * durations per function, and gauges of workers, tasks and the queue; each
 * reads its samples from the registry at scrape time.
 *
 * @module
 */

import { VERSION } from "../base/version.ts";
import { healthOf } from "./health.ts";
import type { ObservedHost } from "./observed_host.ts";
import { DURATION_BUCKETS } from "./histogram.ts";
import { TASK_STATES, WORKER_STATES } from "./stat_rows.ts";
import type { WorkerCounts } from "./stats.ts";
import { CONNECTED, type Transport } from "../rpc/transport_counts.ts";

/** What the exporter reads of the host. */
export type MetricsSource = ObservedHost;

/** Label names and values of one sample. */
export type Labels = Record<string, string | number>;
/** One sample of a family, as prom-client takes it. */
export interface Sample {
  /** Its labels. */
  readonly labels: Labels;
  /** Its value. */
  readonly value: number;
  /** The sample's own name (a histogram's `_bucket`, `_sum`, `_count`). */
  readonly metricName?: string;
}
/** One metric family: its name, help and type, and how to read its samples. */
export interface Family {
  /** The family's name. */
  readonly name: string;
  /** Its `# HELP` text. */
  readonly help: string;
  /** Its `# TYPE`. */
  readonly type: "counter" | "gauge" | "histogram";
  /** Reads its samples from the host, at scrape time. */
  samples(host: MetricsSource): Sample[];
}

function workerFamily(
  name: string,
  help: string,
  role: "exec" | "rpc",
  pick: (counts: WorkerCounts) => number,
): Family {
  return {
    name,
    help,
    type: "counter",
    samples: (host) =>
      [...host.stats.workers.values()].filter((c) => c.role === role).map((c) => ({
        labels: (role === "exec" ? { task: c.task, index: c.index } : { index: c.index }) as Labels,
        value: pick(c),
      })),
  };
}

function functionFamily(
  name: string,
  help: string,
  pick: (c: { calls: number; errors: number; timeouts: number; busy: number }) => number,
): Family {
  return {
    name,
    help,
    type: "counter",
    samples: (host) =>
      [...host.stats.functions].map(([fn, counts]) => ({
        labels: { function: fn },
        value: pick(counts),
      })),
  };
}

type TransportKey =
  | "requests"
  | "parseErrors"
  | "accepted"
  | "refused"
  | "evicted"
  | "tooLarge"
  | "unanswered";

function transportFamily(
  name: string,
  help: string,
  key: TransportKey,
  only?: readonly Transport[],
): Family {
  return {
    name,
    help,
    type: "counter",
    samples: (host) =>
      [...host.stats.transports].filter(([transport]) => only?.includes(transport) ?? true)
        .map(([transport, counts]) => ({ labels: { transport }, value: counts[key] })),
  };
}

function gauge(name: string, help: string, samples: (host: MetricsSource) => Sample[]): Family {
  return { name, help, type: "gauge", samples };
}

const durations: Family = {
  name: "evrexec_run_duration_seconds",
  help: "Duration of evrexec.run calls that ran (queueing included), per exported function.",
  type: "histogram",
  samples(host) {
    const samples: Sample[] = [];
    for (const fn of host.stats.functions.keys()) {
      const histogram = host.stats.functions.get(fn)?.durations;
      const cumulative = histogram?.cumulative() ?? [];
      [...DURATION_BUCKETS, "+Inf"].forEach((le, i) => {
        samples.push({
          labels: { le, function: fn },
          value: cumulative[i] ?? 0,
          metricName: "evrexec_run_duration_seconds_bucket",
        });
      });
      const labels = { function: fn };
      samples.push(
        { labels, value: histogram?.sum ?? 0, metricName: "evrexec_run_duration_seconds_sum" },
        { labels, value: histogram?.count ?? 0, metricName: "evrexec_run_duration_seconds_count" },
      );
    }
    return samples;
  },
};

/** Every family of the host's own metrics. */
export const FAMILIES: readonly Family[] = [
  workerFamily(
    "evrexec_task_starts_total",
    "Workers started, per exec task and index.",
    "exec",
    (c) => c.starts,
  ),
  workerFamily(
    "evrexec_task_restarts_total",
    "Workers restarted, per exec task and index.",
    "exec",
    (c) => c.restarts,
  ),
  workerFamily(
    "evrexec_task_failures_total",
    "Task functions that threw or whose worker crashed.",
    "exec",
    (c) => c.failures,
  ),
  workerFamily(
    "evrexec_task_returns_total",
    "Task functions that returned.",
    "exec",
    (c) => c.returns,
  ),
  workerFamily(
    "evrexec_rpc_pool_starts_total",
    "RPC pool workers started, per index.",
    "rpc",
    (c) => c.starts,
  ),
  workerFamily(
    "evrexec_rpc_pool_restarts_total",
    "RPC pool workers replaced, per index.",
    "rpc",
    (c) => c.restarts,
  ),
  workerFamily(
    "evrexec_rpc_pool_failures_total",
    "RPC pool workers lost (crash, timeout, no load).",
    "rpc",
    (c) => c.failures,
  ),
  functionFamily(
    "evrexec_run_calls_total",
    "evrexec.run calls, per exported function.",
    (c) => c.calls,
  ),
  functionFamily(
    "evrexec_run_errors_total",
    "evrexec.run calls answered with an error (not timeouts or busy).",
    (c) => c.errors,
  ),
  functionFamily(
    "evrexec_run_timeouts_total",
    "evrexec.run calls that timed out (--rpc-timeout).",
    (c) => c.timeouts,
  ),
  functionFamily(
    "evrexec_run_busy_total",
    "evrexec.run calls refused busy (queue full, stopping).",
    (c) => c.busy,
  ),
  {
    name: "evrexec_run_unknown_function_total",
    help: "evrexec.run calls naming no exported function.",
    type: "counter",
    samples: (host) => [{ labels: {}, value: host.stats.unknownFunctions }],
  },
  durations,
  transportFamily(
    "evrexec_rpc_requests_total",
    "JSON-RPC requests read, per transport.",
    "requests",
  ),
  transportFamily(
    "evrexec_rpc_parse_errors_total",
    "Lines, datagrams, BINRPC frames or FIFO documents that were not a request.",
    "parseErrors",
  ),
  transportFamily(
    "evrexec_rpc_connections_accepted_total",
    "Stream and BINRPC (ctl) connections accepted.",
    "accepted",
    CONNECTED,
  ),
  transportFamily(
    "evrexec_rpc_connections_refused_total",
    "Stream and BINRPC (ctl) connections refused (--max-connections).",
    "refused",
    CONNECTED,
  ),
  transportFamily(
    "evrexec_rpc_connections_evicted_total",
    "Stream and BINRPC (ctl) connections closed for want of progress.",
    "evicted",
    CONNECTED,
  ),
  transportFamily(
    "evrexec_rpc_too_large_total",
    "Datagram requests or answers too large for one datagram; FIFO documents too large.",
    "tooLarge",
  ),
  transportFamily(
    "evrexec_rpc_unanswered_total",
    "Answers that could not be sent back (datagram, ctl over UDP, FIFO).",
    "unanswered",
  ),
  gauge("evrexec_workers", "Workers per role, task and state.", (host) => {
    const groups = new Map<string, { role: string; task: string }>();
    for (const slot of host.states.all()) groups.set(`${slot.role}\0${slot.task}`, slot);
    return [...groups.values()].flatMap(({ role, task }) =>
      WORKER_STATES.map((state) => ({
        labels: { role, task, state },
        value: host.states.all().filter((s) =>
          s.role === role && s.task === task && s.state === state
        ).length,
      }))
    );
  }),
  gauge(
    "evrexec_task_state",
    "1 for the state each exec task is in, 0 for the others.",
    (host) =>
      host.supervisors.flatMap((s) =>
        TASK_STATES.map((state) => ({
          labels: { task: s.task.name, state },
          value: s.state === state ? 1 : 0,
        }))
      ),
  ),
  gauge(
    "evrexec_rpc_queue_length",
    "evrexec.run calls waiting for a pool worker.",
    (host) => [{ labels: {}, value: host.pool.queued }],
  ),
  gauge(
    "evrexec_rpc_running",
    "evrexec.run calls running now.",
    (host) => [{ labels: {}, value: host.pool.running }],
  ),
  gauge(
    "evrexec_stuck_workers",
    "Workers stopped while stuck in synchronous code (their thread may still burn CPU).",
    (host) => [{ labels: {}, value: host.workers.stuck.length }],
  ),
  gauge(
    "evrexec_rpc_stuck_workers",
    "RPC pool workers stuck in synchronous code (each may burn a core until the host restarts).",
    (host) => [{ labels: {}, value: host.pool.stuck.state.stuck.length }],
  ),
  gauge(
    "evrexec_rpc_closed",
    "1 while the RPC pool refuses every call: as many workers are stuck as --max-stuck allows.",
    (host) => [{ labels: {}, value: host.pool.stuck.state.closed ? 1 : 0 }],
  ),
  gauge(
    "evrexec_healthy",
    "1 when GET /healthz answers 200, else 0.",
    (
      host,
    ) => [{
      labels: {},
      value: healthOf(host, host.workers.stuck, host.pool.stuck.state).ok ? 1 : 0,
    }],
  ),
  gauge(
    "evrexec_script_version",
    "How many times the script was loaded: 1, then one more per reload.",
    (host) => [{ labels: {}, value: host.version }],
  ),
  gauge(
    "evrexec_info",
    "The host's version and the Deno it runs on.",
    () => [{ labels: { version: VERSION, deno: Deno.version.deno }, value: 1 }],
  ),
];
