/**
 * The targets the bench checks: start-up, memory per worker, RPC latency and
 * throughput against their floors, and no errors or lost calls.
 *
 * @module
 */

import type { MemoryResult } from "../startup/memory.ts";
import type { RpcPoint } from "../rpc/rpc.ts";
import type { StartupResult } from "../startup/startup.ts";
import type { CountingCost } from "../rpc/counting.ts";

/** One checked target. */
export interface Target {
  /** What is checked, as the table shows it. */
  readonly name: string;
  /** The measured value (a ratio to the floor, or a count). */
  readonly value: number;
  /** The bound, e.g. `<= 1.2x`. */
  readonly bound: string;
  /** True when the value is within the bound. */
  readonly ok: boolean;
}

/** The start-up target: 64 workers within 1.2x the floor (median). */
export function startupTarget(results: readonly StartupResult[]): Target | null {
  const at64 = results.find((result) => result.workers === 64);
  if (at64 === undefined) return null;
  return {
    name: "start-up, 64 workers: host/floor (median)",
    value: at64.ratio,
    bound: "<= 1.2x",
    ok: at64.ratio <= 1.2,
  };
}

/** The memory target: cost per worker within 1.2x the floor's. */
export function memoryTarget(result: MemoryResult): Target {
  return {
    name: "memory per worker: host/floor",
    value: result.ratio,
    bound: "<= 1.2x",
    ok: result.ratio <= 1.2,
  };
}

/** The RPC targets: p50 at 1 connection within 2x, calls/s at 4 at least 0.5x, nothing lost. */
export function rpcTargets(points: readonly RpcPoint[]): Target[] {
  const targets: Target[] = [];
  const runs = points.filter((point) => point.call === "evrexec.run");
  const one = runs.find((point) => point.connections === 1);
  if (one !== undefined) {
    targets.push({
      name: "RPC p50, evrexec.run, 1 connection: host/floor",
      value: one.p50Ratio,
      bound: "<= 2x",
      ok: one.p50Ratio <= 2,
    });
  }
  const four = runs.find((point) => point.connections === 4);
  if (four !== undefined) {
    targets.push({
      name: "RPC calls/s, evrexec.run, 4 connections: host/floor",
      value: four.throughputRatio,
      bound: ">= 0.5x",
      ok: four.throughputRatio >= 0.5,
    });
  }
  const bad = points.reduce(
    (sum, point) =>
      sum + point.host.errors + point.host.lost + point.host.connectFailures +
      point.uncounted.errors + point.uncounted.lost + point.uncounted.connectFailures +
      point.floor.errors + point.floor.lost + point.floor.connectFailures,
    0,
  );
  targets.push({
    name: "RPC errors + lost calls, all loads",
    value: bad,
    bound: "= 0",
    ok: bad === 0,
  });
  return targets;
}

/**
 * The counting target: the counting hooks' own time per `evrexec.run` call
 * within 2 % of the host's server CPU per call (4 connections). The paired
 * on/off throughput rounds are reported beside it, but on a shared machine
 * their spread (±20 % per round) is wider than the 2 % to be checked.
 */
export function countingTarget(cost: CountingCost, points: readonly RpcPoint[]): Target | null {
  const point = points.find((p) => p.call === "evrexec.run" && p.connections === cost.connections);
  if (point === undefined) return null;
  const share = cost.hookNs / (point.host.serverCpuUsPerCall * 1000);
  return {
    name: "counting cost: hooks' time / server CPU per call",
    value: share,
    bound: "<= 2 %",
    ok: share <= 0.02,
  };
}
