/**
 * What `deno task top` shows, read through public RPC methods only
 * (`core.version`, `core.uptime`, `core.psx`, `evrexec.list`,
 * `evrexec.functions`, `evrexec.heap`, `stats.get_statistics`, and
 * `evrexec.cluster` on a host in a fleet), with rates and p50/p99 over the
 * last few seconds from the snapshots kept (see {@link WINDOW_MS}).
 *
 * @module
 */

import { quantile } from "../observe/histogram.ts";

/**
 * How far back rates and percentiles look, in milliseconds: p50 and p99 are
 * over the calls of about the last 5 s (between 5 and 6 s at one refresh a
 * second), and over every call since the host started on the first screen
 * and when none ran in the window.
 */
export const WINDOW_MS = 5000;

/** One worker's row. */
export interface WorkerRow {
  /** The worker's number (`IDX`). */
  readonly idx: number;
  /** `exec` or `rpc`. */
  readonly role: string;
  /** Its task (`rpc` for the pool). */
  readonly task: string;
  /** Its task's state. */
  readonly taskState: string;
  /** Its index, as shown. */
  readonly index: string;
  /** Its state. */
  readonly state: string;
  /** How long its worker has run. */
  readonly uptime: string;
  /** Restarts, as shown. */
  readonly restarts: string;
  /** Its heap in use, in bytes; null when it did not answer. */
  readonly heap: number | null;
  /** Its last error, as shown. */
  readonly lastError: string;
}

/** One function's row. */
export interface FunctionRow {
  /** The function's name. */
  readonly name: string;
  /** Calls per second over the window; null before two snapshots. */
  readonly rate: number | null;
  /** Calls since the host started. */
  readonly calls: number;
  /** Calls that failed. */
  readonly errors: number;
  /** Calls that timed out. */
  readonly timeouts: number;
  /** Over the window's calls, in ms; over every call when none ran in the window; null before any. */
  readonly p50: number | null;
  /** As {@link FunctionRow.p50}, the 99th percentile. */
  readonly p99: number | null;
  /** True when no call ran in the window: p50 and p99 are over every call since the host started. */
  readonly sinceStart: boolean;
}

/** Everything on one screen. */
export interface TopView {
  /** The host's version line. */
  readonly version: string;
  /** Seconds the host has run. */
  readonly uptimeS: number;
  /** One row per worker. */
  readonly workers: readonly WorkerRow[];
  /** One row per function called. */
  readonly functions: readonly FunctionRow[];
  /** `rpc:queue_length`, `rpc:running`, `rpc:connections`, `evrexec:stuck_workers`… */
  readonly gauges: ReadonlyMap<string, number>;
  /** The host's fleet (`evrexec.cluster`), or null for a host alone. */
  readonly fleet: FleetLine | null;
}

/** The fleet as the header shows it. */
export interface FleetLine {
  /** This node. */
  readonly node: string;
  /** `ok`, or why the database is lost. */
  readonly database: string;
  /** Live nodes. */
  readonly nodes: number;
  /** Calls waiting in the fleet's queue. */
  readonly queued: number;
  /** Calls running in the fleet. */
  readonly running: number;
}

/** What one function's counters were at one snapshot. */
interface FunctionSample {
  readonly name: string;
  readonly calls: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly buckets: readonly number[];
}

type Row = Record<string, unknown>;
/** Calls an RPC method of the host (the client's `call`). */
export type Call = (method: string, params?: unknown[]) => Promise<unknown>;

const str = (value: unknown) => value === undefined || value === null ? "-" : String(value);

function lastError(error: unknown): string {
  if (typeof error !== "object" || error === null) return "-";
  const { message, ago } = error as { message?: unknown; ago?: unknown };
  return `${str(ago)} ago: ${str(message)}`;
}

/** The fleet line from `evrexec.cluster`'s answer (null: a host alone). */
function fleetLine(answer: unknown): FleetLine | null {
  if (typeof answer !== "object" || answer === null) return null;
  const row = answer as Row;
  const queue = (row.queue ?? {}) as Row;
  const nodes = Array.isArray(row.nodes) ? row.nodes as Row[] : [];
  return {
    node: str(row.node),
    database: str(row.database),
    nodes: nodes.filter((node) => node.live === true).length,
    queued: Number(queue.queued ?? 0),
    running: Number(queue.running ?? 0),
  };
}

/** Reads the host each refresh and keeps the snapshots of the window. */
export class TopModel {
  #samples: { at: number; functions: Map<string, FunctionSample> }[] = [];

  /** Reads every figure through `call`, at time `now` (ms); rejects when the host does not answer. */
  async refresh(call: Call, now: number): Promise<TopView> {
    const [version, uptime, psx, list, functions, heap, stats, cluster] = await Promise.all([
      call("core.version"),
      call("core.uptime"),
      call("core.psx"),
      call("evrexec.list"),
      call("evrexec.functions"),
      call("evrexec.heap"),
      call("stats.get_statistics", ["rpc:", "evrexec:"]),
      // A host alone answers an error: no fleet line.
      call("evrexec.cluster").catch(() => null),
    ]);
    const heaps = new Map((heap as Row[]).map((row) => [row.IDX, row.heap_used as number | null]));
    // A singleton task's state names the node that holds it.
    const taskStates = new Map(
      (list as Row[]).map((
        task,
      ) => [
        task.name,
        "holder" in task ? `${str(task.state)} (holder ${str(task.holder)})` : str(task.state),
      ]),
    );
    const workers = (psx as Row[]).map((row): WorkerRow => ({
      idx: Number(row.IDX),
      role: str(row.role),
      task: row.state === "stuck" ? str(row.DSC) : str(row.task),
      taskState: row.role === "exec" ? taskStates.get(row.task) ?? "-" : "-",
      index: str(row.index),
      state: str(row.state),
      uptime: str(row.uptime),
      restarts: str(row.restarts),
      heap: heaps.get(row.IDX) ?? null,
      lastError: lastError(row.last_error),
    }));
    const gauges = new Map<string, number>();
    for (const line of stats as string[]) {
      const at = line.lastIndexOf(" = ");
      if (at > 0) gauges.set(line.slice(0, at), Number(line.slice(at + 3)));
    }
    return {
      version: str(version).replace(/ \(.*$/, ""),
      uptimeS: Number((uptime as Row).uptime ?? 0),
      workers,
      functions: this.#functionRows((functions as { functions: FunctionSample[] }).functions, now),
      gauges,
      fleet: fleetLine(cluster),
    };
  }

  #functionRows(samples: readonly FunctionSample[], now: number): FunctionRow[] {
    const current = new Map(samples.map((sample) => [sample.name, sample]));
    this.#samples.push({ at: now, functions: current });
    while (this.#samples.length > 2 && now - this.#samples[1].at >= WINDOW_MS) {
      this.#samples.shift();
    }
    const oldest = this.#samples[0];
    const seconds = (now - oldest.at) / 1000;
    // The first screen's percentiles are over every call since the start.
    const first = this.#samples.length === 1;
    return samples.map((sample) => {
      const before = first ? undefined : oldest.functions.get(sample.name);
      const recent = sample.buckets.map((n, i) => n - (before?.buckets[i] ?? 0));
      // No call in the window: the figures since the start, marked as such,
      // rather than "-" while evrexec.functions has figures.
      const sinceStart = !first && recent.every((n) => n <= 0);
      const counts = sinceStart ? sample.buckets : recent;
      const p = (q: number) => {
        const s = quantile(counts, q);
        return s === null ? null : s * 1000;
      };
      return {
        name: sample.name,
        rate: seconds > 0 ? (sample.calls - (before?.calls ?? 0)) / seconds : null,
        calls: sample.calls,
        errors: sample.errors,
        timeouts: sample.timeouts,
        p50: p(0.5),
        p99: p(0.99),
        sinceStart,
      };
    });
  }
}
