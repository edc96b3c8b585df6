/**
 * RPC: `evrexec.run` of a function that answers its data, driven by the
 * closed-loop load generator at several connection counts, against the
 * host, the host with `--stats off` (what counting costs) and the floor
 * (floors/server.ts), loads interleaved. Also `core.version`, which the host
 * answers on its main thread: the host's RPC path without the hop to a
 * worker. Each load also notes the server's CPU time per call.
 *
 * @module
 */

import {
  FLOOR_LISTENING,
  HOST_READY,
  type Launched,
  launchFloorServer,
  launchHost,
} from "../common/launch.ts";
import { cpuSeconds } from "../common/proc.ts";
import { type LoadOptions, type LoadResult, runLoad } from "./load.ts";
import { ratio } from "../common/stats.ts";
import { type CountingCost, type CountingOptions, measureCountingCost } from "./counting.ts";

/** One load's figures plus the server's CPU cost. */
export interface Measured extends LoadResult {
  /** Server CPU (user + system, all threads) per answered call, microseconds. */
  readonly serverCpuUsPerCall: number;
}

/** What the calls of a load are. */
export type RpcCall = "evrexec.run" | "core.version";

/** Host and floor under one load. */
export interface RpcPoint {
  /** `evrexec.run echo DATA`, or `core.version` (no worker hop in the host). */
  readonly call: RpcCall;
  /** Connections, each with one call in flight. */
  readonly connections: number;
  /** The host's figures. */
  readonly host: Measured;
  /** The host's figures with `--stats off`: nothing counted. */
  readonly uncounted: Measured;
  /** The floor's figures. */
  readonly floor: Measured;
  /** host.p50Us / floor.p50Us. */
  readonly p50Ratio: number;
  /** host.callsPerS / floor.callsPerS. */
  readonly throughputRatio: number;
  /** host.callsPerS / uncounted.callsPerS: 1 when counting costs nothing. */
  readonly countingRatio: number;
}

/** Settings of the RPC measurement. */
export interface RpcOptions {
  /** Connection counts for `evrexec.run`. */
  readonly connections: readonly number[];
  /** Connection counts for `core.version`. */
  readonly pathConnections: readonly number[];
  /** Warm-up before each measured load, ms. */
  readonly warmupMs: number;
  /** Measured time of each load, ms. */
  readonly durationMs: number;
  /** Longest wait for a program's ready line, ms. */
  readonly timeoutMs: number;
  /** When set, the host runs with `--cpu-prof` and writes its profile here. */
  readonly cpuProfDir?: string;
  /** The paired rounds that measure what counting costs. */
  readonly counting: CountingOptions;
}

/** The RPC section's figures. */
export interface RpcResults {
  /** Host, host with `--stats off`, and floor under each load. */
  readonly points: RpcPoint[];
  /** What counting statistics costs, in paired rounds. */
  readonly counting: CountingCost;
}

/** The fixture function every `evrexec.run` call runs. */
export const RPC_FUNCTION = "echo";

async function measured(server: Launched, options: LoadOptions): Promise<Measured> {
  const before = cpuSeconds(server.child.pid);
  const result = await runLoad({ ...options, socket: server.socket });
  const used = cpuSeconds(server.child.pid) - before;
  return { ...result, serverCpuUsPerCall: used * 1e6 / result.answered };
}

async function loadAll(
  host: Launched,
  uncounted: Launched,
  options: RpcOptions,
): Promise<RpcPoint[]> {
  const floor = await launchFloorServer();
  try {
    await host.child.waitLine(HOST_READY, options.timeoutMs);
    await uncounted.child.waitLine(HOST_READY, options.timeoutMs);
    await floor.child.waitLine(FLOOR_LISTENING, options.timeoutMs);
    const loads = [
      ...options.connections.map((connections) => ({ call: "evrexec.run" as const, connections })),
      ...options.pathConnections.map((connections) => ({
        call: "core.version" as const,
        connections,
      })),
    ];
    const points: RpcPoint[] = [];
    for (const [i, { call, connections }] of loads.entries()) {
      const load: LoadOptions = {
        socket: "",
        connections,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        call: call === "evrexec.run" ? { run: RPC_FUNCTION } : { method: call },
      };
      // Rotate which goes first, so that drift hits all three.
      const servers = [host, uncounted, floor];
      const order = [0, 1, 2].map((k) => (k + i) % 3);
      const results: Measured[] = [];
      for (const k of order) results[k] = await measured(servers[k], load);
      const [hostResult, uncountedResult, floorResult] = results;
      points.push({
        call,
        connections,
        host: hostResult,
        uncounted: uncountedResult,
        floor: floorResult,
        p50Ratio: ratio(hostResult.p50Us, floorResult.p50Us),
        throughputRatio: ratio(hostResult.callsPerS, floorResult.callsPerS),
        countingRatio: ratio(hostResult.callsPerS, uncountedResult.callsPerS),
      });
    }
    return points;
  } finally {
    await floor.stop();
  }
}

/** Measures every load against host and floor, then the counting cost. */
export async function measureRpc(options: RpcOptions): Promise<RpcResults> {
  const denoFlags = options.cpuProfDir === undefined
    ? []
    : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`];
  const host = await launchHost({ denoFlags });
  const uncounted = await launchHost({ args: ["--stats", "off"] });
  let points: RpcPoint[];
  let counting: CountingCost;
  try {
    points = await loadAll(host, uncounted, options);
    counting = await measureCountingCost(host, uncounted, options.counting);
  } catch (error) {
    await Promise.all([host.stop(), uncounted.stop()]);
    throw error;
  }
  for (const launched of [host, uncounted]) {
    const status = await launched.stop();
    if (!status.success) {
      throw new Error(
        `host exited with ${status.code} after the RPC load:\n${launched.child.output}`,
      );
    }
  }
  return { points, counting };
}
