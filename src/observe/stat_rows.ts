/**
 * The statistics as Kamailio's `stats.get_statistics` shows them: rows of
 * `group:name = value`, counters and gauges, chosen by `all`, `GROUP:` or
 * `NAME`; a reset moves a counter's baseline, never what /metrics counts.
 *
 * @module
 */

import type { ObservedHost } from "./observed_host.ts";
import type { WorkerState } from "../spawn/worker_states.ts";
import type { HostStats, WorkerCounts } from "./stats.ts";
import { CONNECTED, type Transport, type TransportCounts } from "../rpc/transport_counts.ts";

/** One statistic. */
export interface StatRow {
  /** Its group: `evrexec`, `task`, `function` or `rpc`. */
  readonly group: string;
  /** Its name within the group. */
  readonly name: string;
  /** Its value (a counter's since the last reset). */
  readonly value: number;
  /** True for a counter (resettable); false for a gauge. */
  readonly counter: boolean;
}

/** Every worker state, in the order the rows list them. */
export const WORKER_STATES: readonly WorkerState[] = [
  "starting",
  "waiting",
  "running",
  "idle",
  "returned",
  "failed",
  "backoff",
  "stopped",
];

/** The task states, in the order the rows list them. */
export const TASK_STATES = ["active", "stopped", "failed"] as const;

type Totals = Pick<WorkerCounts, "starts" | "restarts" | "failures" | "returns">;

function sumWorkers(stats: HostStats, keep: (counts: WorkerCounts) => boolean): Totals {
  const totals = { starts: 0, restarts: 0, failures: 0, returns: 0 };
  for (const counts of stats.workers.values()) {
    if (!keep(counts)) continue;
    totals.starts += counts.starts;
    totals.restarts += counts.restarts;
    totals.failures += counts.failures;
    totals.returns += counts.returns;
  }
  return totals;
}

/** The functions to list: the script's exports and any other that was counted. */
export function functionNames(host: ObservedHost): string[] {
  return [...new Set([...host.pool.functions, ...host.stats.functions.keys()])];
}

function transportRows(name: Transport, counts: TransportCounts): [string, number][] {
  const rows: [string, number][] = [
    [`${name}-requests`, counts.requests],
    [`${name}-parse_errors`, counts.parseErrors],
  ];
  if (CONNECTED.includes(name)) {
    rows.push(
      [`${name}-accepted`, counts.accepted],
      [`${name}-refused`, counts.refused],
      [`${name}-evicted`, counts.evicted],
    );
  }
  if (name !== "stream" && name !== "ctl") rows.push([`${name}-too_large`, counts.tooLarge]);
  if (name !== "stream") rows.push([`${name}-unanswered`, counts.unanswered]);
  return rows;
}

/** Every statistic of the host, raw (before baselines), in a stable order. */
export function rawStatRows(host: ObservedHost): StatRow[] {
  const stats = host.stats;
  const rows: StatRow[] = [];
  const counter = (group: string, name: string, value: number) =>
    rows.push({ group, name, value, counter: true });
  const gauge = (group: string, name: string, value: number) =>
    rows.push({ group, name, value, counter: false });
  const functions = functionNames(host).map((fn) => [fn, stats.functions.get(fn)] as const);
  const sum = (pick: (c: NonNullable<typeof functions[number][1]>) => number) =>
    functions.reduce((total, [, c]) => total + (c ? pick(c) : 0), 0);
  counter("evrexec", "runs", sum((c) => c.calls));
  counter("evrexec", "run_errors", sum((c) => c.errors));
  counter("evrexec", "run_timeouts", sum((c) => c.timeouts));
  counter("evrexec", "run_busy", sum((c) => c.busy));
  counter("evrexec", "run_unknown", stats.unknownFunctions);
  const exec = sumWorkers(stats, (c) => c.role === "exec");
  for (const [name, value] of Object.entries(exec)) counter("evrexec", name, value);
  for (const state of TASK_STATES) {
    gauge("evrexec", `tasks_${state}`, host.supervisors.filter((s) => s.state === state).length);
  }
  const slots = host.states.all();
  for (const state of WORKER_STATES) {
    gauge("evrexec", `workers_${state}`, slots.filter((slot) => slot.state === state).length);
  }
  gauge("evrexec", "stuck_workers", host.workers.stuck.length);
  for (const supervisor of host.supervisors) {
    const task = supervisor.task.name;
    const totals = sumWorkers(stats, (c) => c.role === "exec" && c.task === task);
    for (const [name, value] of Object.entries(totals)) counter("task", `${task}-${name}`, value);
  }
  for (const [fn, c] of functions) {
    counter("function", `${fn}-calls`, c?.calls ?? 0);
    counter("function", `${fn}-errors`, c?.errors ?? 0);
    counter("function", `${fn}-timeouts`, c?.timeouts ?? 0);
    counter("function", `${fn}-busy`, c?.busy ?? 0);
    counter("function", `${fn}-duration_us`, Math.round((c?.durations.sum ?? 0) * 1e6));
  }
  gauge("rpc", "queue_length", host.pool.queued);
  gauge("rpc", "running", host.pool.running);
  gauge("rpc", "connections", host.connections);
  const pool = sumWorkers(stats, (c) => c.role === "rpc");
  counter("rpc", "pool_starts", pool.starts);
  counter("rpc", "pool_restarts", pool.restarts);
  counter("rpc", "pool_failures", pool.failures);
  for (const [transport, counts] of stats.transports) {
    for (const [name, value] of transportRows(transport, counts)) counter("rpc", name, value);
  }
  return rows;
}

/** The key of a row in the baselines: `group:name`. */
export function rowKey(row: StatRow): string {
  return `${row.group}:${row.name}`;
}

/** Every statistic, counters taken from their baseline. */
export function statRows(host: ObservedHost): StatRow[] {
  const baseline = host.stats.baseline;
  return rawStatRows(host).map((row) =>
    row.counter ? { ...row, value: row.value - (baseline.get(rowKey(row)) ?? 0) } : row
  );
}

/**
 * The rows `names` choose, in the order of the names, each row once: `all`,
 * `GROUP:` (every row of a group), `GROUP:NAME` or `NAME`. A name that
 * matches nothing chooses nothing, as in Kamailio.
 */
export function selectRows(rows: readonly StatRow[], names: readonly string[]): StatRow[] {
  const chosen = new Set<StatRow>();
  for (const name of names) {
    for (const row of rows) {
      if (
        name === "all" || name === `${row.group}:` || name === rowKey(row) || name === row.name
      ) chosen.add(row);
    }
  }
  return [...chosen];
}

/** A row as Kamailio writes it: `evrexec:runs = 42`. */
export function statLine(row: StatRow): string {
  return `${rowKey(row)} = ${row.value}`;
}

/** Resets the counters among `rows`: their baseline becomes their raw value. */
export function resetRows(host: ObservedHost, rows: readonly StatRow[]): void {
  const raw = new Map(rawStatRows(host).map((row) => [rowKey(row), row.value]));
  for (const row of rows) {
    if (row.counter) host.stats.baseline.set(rowKey(row), raw.get(rowKey(row)) ?? 0);
  }
}
