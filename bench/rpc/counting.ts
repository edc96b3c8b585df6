/**
 * What counting statistics costs on the hot path: `evrexec.run` calls/s of
 * the host with counting on against the same host with `--stats off`, in
 * short paired rounds (on and off back to back, the order alternating), so
 * that the machine's drift cancels out of each round's ratio. The figure
 * is the median of the rounds' ratios. On a busy machine that ratio is
 * noisy, so the hooks' own time per call is measured too, in-process: the
 * very code an `evrexec.run` call runs to be counted.
 *
 * @module
 */

import type { Launched } from "../common/launch.ts";
import { RPC_FUNCTION } from "./rpc.ts";
import { runLoad } from "./load.ts";
import { median, ratio } from "../common/stats.ts";
import { HostStats } from "../../src/observe/stats.ts";

/** Settings of the counting-cost measurement. */
export interface CountingOptions {
  /** Connections of each load. */
  readonly connections: number;
  /** Paired rounds. */
  readonly rounds: number;
  /** Measured time of each load, ms (after a warm-up of a fifth of it). */
  readonly durationMs: number;
}

/** The counting cost, measured. */
export interface CountingCost {
  /** Connections of each load. */
  readonly connections: number;
  /** Calls/s with counting on, per round. */
  readonly on: readonly number[];
  /** Calls/s with `--stats off`, per round. */
  readonly off: readonly number[];
  /** on / off, per round. */
  readonly ratios: readonly number[];
  /** The median of `ratios`: 1 when counting costs nothing. */
  readonly median: number;
  /** The counting hooks' own time per `evrexec.run` call, in nanoseconds. */
  readonly hookNs: number;
}

/**
 * Times what counting adds to one `evrexec.run` call: the request counter,
 * the function's begin and end (a histogram observation), and the worker
 * table's hook told of the pool worker going running and idle.
 */
export function hookNsPerCall(calls = 2_000_000): number {
  const stats = new HostStats();
  const requests = stats.transport("stream");
  const slot = { role: "rpc" as const, task: "rpc", index: 0 };
  const run = () => {
    requests.requests++;
    const counts = stats.function("echo");
    const started = counts.begin();
    stats.workerState(slot, "running", undefined, "idle");
    stats.workerState(slot, "idle", undefined, "running");
    counts.ended(started);
  };
  for (let i = 0; i < calls / 10; i++) run(); // warm-up: let V8 optimise it
  const started = performance.now();
  for (let i = 0; i < calls; i++) run();
  return (performance.now() - started) * 1e6 / calls;
}

/** Measures the counting cost on two running hosts: `counted` and `uncounted` (`--stats off`). */
export async function measureCountingCost(
  counted: Launched,
  uncounted: Launched,
  options: CountingOptions,
): Promise<CountingCost> {
  const on: number[] = [], off: number[] = [], ratios: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const load = (host: Launched) =>
      runLoad({
        socket: host.socket,
        connections: options.connections,
        warmupMs: options.durationMs / 5,
        durationMs: options.durationMs,
        call: { run: RPC_FUNCTION },
      });
    const onFirst = round % 2 === 0;
    const first = await load(onFirst ? counted : uncounted);
    const second = await load(onFirst ? uncounted : counted);
    const [withCounting, without] = onFirst ? [first, second] : [second, first];
    on.push(withCounting.callsPerS);
    off.push(without.callsPerS);
    ratios.push(ratio(withCounting.callsPerS, without.callsPerS));
  }
  return {
    connections: options.connections,
    on,
    off,
    ratios,
    median: median(ratios),
    hookNs: hookNsPerCall(),
  };
}
