/**
 * The printed report: one table with each figure beside its floor, the
 * ratio, the target and whether it is met.
 *
 * @module
 */

import type { CliPoint } from "../rpc/cli.ts";
import type { Machine } from "./machine.ts";
import type { MemoryResult } from "../startup/memory.ts";
import type { RpcPoint } from "../rpc/rpc.ts";
import type { CountingCost } from "../rpc/counting.ts";
import type { SideResults } from "../side_by_side/side_by_side.ts";
import { sideRows } from "../side_by_side/report.ts";
import type { StartupResult } from "../startup/startup.ts";
import {
  fmt,
  fmtRatio,
  fmtSpread,
  ratioRow,
  renderTable,
  type TableRow,
  targetCells,
} from "./table.ts";
import { median } from "../common/stats.ts";
import type { Target } from "./targets.ts";
import type { VariantResult } from "../isolation/isolation.ts";
import { isolationRows } from "../isolation/report.ts";

/** Everything one bench run measured; what bench/results.json holds. */
export interface BenchResults {
  /** Where it ran. */
  readonly machine: Machine;
  /** True for `--quick`. */
  readonly quick: boolean;
  /** The settings used, per section. */
  readonly settings: Record<string, unknown>;
  /** Start-up figures, if measured. */
  startup?: StartupResult[];
  /** Memory figures, if measured. */
  memory?: MemoryResult;
  /** RPC figures, if measured. */
  rpc?: RpcPoint[];
  /** What counting costs, if measured. */
  counting?: CountingCost;
  /** CLI figures, if measured. */
  cli?: CliPoint[];
  /** Beside Kamailio, if asked for (`--kamailio`). */
  kamailio?: SideResults;
  /** Each kind of worker against its floor, if measured. */
  isolation?: VariantResult[];
  /** The targets checked. */
  targets: Target[];
  /** Load average (1, 5, 15 min) when the bench ended. */
  loadAtEnd?: string;
}

const HEADER = ["measure", "host", "floor", "host/floor", "target", "status"];

function find(results: BenchResults, prefix: string): Target | undefined {
  return results.targets.find((target) => target.name.startsWith(prefix));
}

function startupRows(results: BenchResults, list: readonly StartupResult[]): TableRow[] {
  const runs = list[0]?.host.samples.length ?? 0;
  const rows: TableRow[] = [{
    section:
      `Start-up, ms from spawn to "all N workers running" (min / median / max, ${runs} runs)`,
  }];
  for (const result of list) {
    rows.push([
      `  ${result.workers} worker${result.workers === 1 ? "" : "s"}`,
      fmtSpread(result.host),
      fmtSpread(result.floor),
      fmtRatio(result.ratio),
      ...targetCells(result.workers === 64 ? find(results, "start-up") : undefined),
    ]);
  }
  for (const result of list) {
    rows.push([
      `  ${result.workers}: host's own "after X ms" (task start -> all)`,
      fmtSpread(result.hostLogged),
      "",
      "",
      "",
      "",
    ]);
  }
  return rows;
}

function memoryRows(results: BenchResults, memory: MemoryResult): TableRow[] {
  const rows: TableRow[] = [{
    section: `Memory, RSS in MiB once all run (host with its default RPC pool of ` +
      `${memory.rpcWorkers} warm workers, floor with none; exec workers idle on KSR.shutdown, ` +
      "floor workers on an empty module)",
  }];
  for (const point of memory.points) {
    rows.push([
      `  ${point.workers} exec workers`,
      fmt(point.hostMiB, 1),
      fmt(point.floorMiB, 1),
      fmtRatio(point.hostMiB / point.floorMiB),
      "",
      "",
    ]);
  }
  const last = memory.points[memory.points.length - 1];
  rows.push([
    `  per worker, (rss${last.workers} - rss0) / ${last.workers}`,
    fmt(memory.hostPerWorkerMiB, 2),
    fmt(memory.floorPerWorkerMiB, 2),
    fmtRatio(memory.ratio),
    ...targetCells(find(results, "memory")),
  ]);
  rows.push([
    "  per worker vs floor workers in a 100 ms timer loop",
    fmt(memory.hostPerWorkerMiB, 2),
    fmt(memory.floorLoopPerWorkerMiB, 2),
    fmtRatio(memory.loopRatio),
    "",
    "",
  ]);
  return rows;
}

function rpcPointRows(results: BenchResults, point: RpcPoint): TableRow[] {
  const c = `${point.connections} conn`;
  const isRun = point.call === "evrexec.run";
  const cells = (label: string, host: number, floor: number, target?: Target): string[] =>
    ratioRow(`  ${c}: ${label}`, host, floor, { target });
  return [
    cells(
      "p50 us",
      point.host.p50Us,
      point.floor.p50Us,
      isRun && point.connections === 1 ? find(results, "RPC p50") : undefined,
    ),
    cells("p99 us", point.host.p99Us, point.floor.p99Us),
    cells(
      "calls/s",
      point.host.callsPerS,
      point.floor.callsPerS,
      isRun && point.connections === 4 ? find(results, "RPC calls/s") : undefined,
    ),
    cells("server CPU us/call", point.host.serverCpuUsPerCall, point.floor.serverCpuUsPerCall),
    cells("calls/s, --stats off", point.uncounted.callsPerS, point.floor.callsPerS),
    [`  ${c}: counting on/off, calls/s`, "", "", fmtRatio(point.countingRatio), "", ""],
    [
      `  ${c}: errors / lost`,
      `${point.host.errors + point.host.connectFailures} / ${point.host.lost}`,
      `${point.floor.errors + point.floor.connectFailures} / ${point.floor.lost}`,
      "",
      "",
      "",
    ],
  ];
}

function rpcRows(results: BenchResults, points: readonly RpcPoint[]): TableRow[] {
  const rows: TableRow[] = [];
  const sections: [RpcPoint["call"], string][] = [
    ["evrexec.run", "RPC, evrexec.run echo DATA (closed loop, one call in flight per connection)"],
    ["core.version", "RPC path without the worker hop: core.version (host main thread only)"],
  ];
  for (const [call, title] of sections) {
    const some = points.filter((point) => point.call === call);
    if (some.length === 0) continue;
    rows.push({ section: title });
    for (const point of some) rows.push(...rpcPointRows(results, point));
  }
  const bad = find(results, "RPC errors");
  rows.push(["  errors + lost, all loads", fmt(bad?.value ?? NaN), "", "", ...targetCells(bad)]);
  return rows;
}

function countingRows(results: BenchResults, cost: CountingCost): TableRow[] {
  const point = results.rpc?.find((p) =>
    p.call === "evrexec.run" && p.connections === cost.connections
  );
  const share = point && cost.hookNs / (point.host.serverCpuUsPerCall * 1000);
  const spread = (values: readonly number[]) =>
    `${fmt(Math.min(...values))} / ${fmt(median([...values]))} / ${fmt(Math.max(...values))}`;
  return [
    {
      section: `Counting cost: evrexec.run, ${cost.connections} connections, ` +
        `${cost.ratios.length} paired rounds of on and --stats off (min / median / max)`,
    },
    ["  calls/s, counting on", spread(cost.on), "", "", "", ""],
    ["  calls/s, --stats off", spread(cost.off), "", "", "", ""],
    [
      "  on/off per round",
      [Math.min(...cost.ratios), cost.median, Math.max(...cost.ratios)].map((r) => r.toFixed(3))
        .join(" / "),
      "",
      fmtRatio(cost.median),
      "",
      "",
    ],
    ["  hooks' own time per call, ns (in-process)", fmt(cost.hookNs), "", "", "", ""],
    [
      `  hooks' time / host's server CPU per call (${cost.connections} conn)`,
      share === undefined ? "?" : `${(share * 100).toFixed(2)} %`,
      "",
      "",
      ...targetCells(find(results, "counting cost")),
    ],
  ];
}

function cliRows(list: readonly CliPoint[]): TableRow[] {
  const floor = list[list.length - 1];
  const runs = floor?.ms.samples.length ?? 0;
  const rows: TableRow[] = [{
    section: `CLI, ms from spawn to exit of one core.version call (min / median, ${runs} runs; ` +
      "floor: bench/floors/client.ts)",
  }];
  for (const point of list.slice(0, -1)) {
    rows.push([
      `  ${point.name}`,
      `${fmt(point.ms.min)} / ${fmt(point.ms.median)}`,
      `${fmt(floor.ms.min)} / ${fmt(floor.ms.median)}`,
      fmtRatio(point.ratio),
      "",
      "",
    ]);
  }
  return rows;
}

/** The whole printed report: machine, table, and the targets' tally. */
export function renderReport(results: BenchResults): string {
  const m = results.machine;
  const rows: TableRow[] = [];
  if (results.startup) rows.push(...startupRows(results, results.startup));
  if (results.memory) rows.push(...memoryRows(results, results.memory));
  if (results.rpc) rows.push(...rpcRows(results, results.rpc));
  if (results.counting) rows.push(...countingRows(results, results.counting));
  if (results.cli) rows.push(...cliRows(results.cli));
  if (results.kamailio) {
    const rounds = (results.settings.kamailio as { rounds?: number } | undefined)?.rounds ?? 0;
    rows.push(...sideRows(results.kamailio, results.targets, rounds));
  }
  if (results.isolation) rows.push(...isolationRows(results.isolation, results.targets));
  const missed = results.targets.filter((target) => !target.ok);
  return [
    `evrexec bench${results.quick ? " (--quick)" : ""}, ${m.date}, source ${m.source}`,
    `machine: nproc ${m.nproc}, ${m.cpu}, ${m.memoryMiB} MiB, ${m.os}; deno ${m.deno}, v8 ${m.v8}`,
    `load average (1/5/15 min): ${m.loadAtStart} at start, ${results.loadAtEnd ?? "?"} at end`,
    "",
    renderTable(HEADER, rows),
    "",
    missed.length === 0
      ? `targets: all ${results.targets.length} ok`
      : `targets: ${missed.length} of ${results.targets.length} MISSED: ` +
        missed.map((target) => `${target.name} = ${fmt(target.value, 2)}`).join("; "),
  ].join("\n");
}
