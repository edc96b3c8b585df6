/**
 * `deno task bench`: measures the host's start-up, memory, RPC and CLI
 * against bare-Deno floors, prints one table and writes the figures to
 * bench/results.json. `--kamailio` adds the host's `evrexec.run` beside
 * Kamailio's own (`side_by_side.ts`; skipped with a note where Kamailio is
 * missing); `--only kamailio` runs that alone.
 *
 * `--cluster` runs the fleet's database load instead (bench/cluster/load.ts).
 *
 * Usage: deno run --allow-all --unstable-net bench/run.ts [--quick] [--kamailio] [--cluster]
 *        [--only startup,memory,rpc,cli,isolation,kamailio] [--output FILE] [--cpu-prof DIR]
 *
 * `--cpu-prof DIR` runs the host of the RPC section under `--cpu-prof` and
 * leaves its CPU profiles in DIR (one for the main thread, one per worker);
 * `deno run --allow-read bench/report/cpuprof_top.ts FILE` summarises one.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { measureCli } from "./rpc/cli.ts";
import { describeMachine, loadAverage } from "./report/machine.ts";
import { measureMemory } from "./startup/memory.ts";
import { killAll } from "./common/proc.ts";
import { type BenchResults, renderReport } from "./report/report.ts";
import { measureRpc } from "./rpc/rpc.ts";
import { measureSideBySide } from "./side_by_side/side_by_side.ts";
import { sideTargets } from "./side_by_side/report.ts";
import { measureStartup } from "./startup/startup.ts";
import { measureIsolation } from "./isolation/isolation.ts";
import { isolationTargets } from "./isolation/report.ts";
import { countingTarget, memoryTarget, rpcTargets, startupTarget } from "./report/targets.ts";

/** The sections, in the order they run. */
export const SECTIONS = ["startup", "memory", "rpc", "cli", "isolation", "kamailio"] as const;
/** One section of the bench. */
export type Section = typeof SECTIONS[number];

/** The settings of a full run and of a `--quick` one. */
export function settingsFor(quick: boolean) {
  return {
    startup: { workers: [1, 8, 64], runs: quick ? 3 : 7, timeoutMs: 30_000 },
    memory: {
      workers: [0, 8, 64],
      runs: quick ? 1 : 2,
      settleMs: quick ? 300 : 1000,
      timeoutMs: 30_000,
    },
    rpc: {
      connections: [1, 4, 16],
      pathConnections: [1, 4],
      warmupMs: quick ? 300 : 1000,
      durationMs: quick ? 1000 : 3000,
      timeoutMs: 30_000,
      counting: { connections: 4, rounds: quick ? 5 : 15, durationMs: 1000 },
    },
    cli: { runs: quick ? 3 : 5, timeoutMs: 30_000 },
    kamailio: {
      clients: [1, 4],
      rounds: quick ? 2 : 5,
      warmupMs: 300,
      durationMs: quick ? 700 : 1000,
      idleMs: 3000,
      timeoutMs: 30_000,
    },
    isolation: {
      workers: [1, 8, 64],
      runs: quick ? [3, 3, 2] : [5, 5, 3],
      memoryWorkers: quick ? 16 : 64,
      settleMs: quick ? 300 : 1000,
      warmupMs: quick ? 300 : 1000,
      durationMs: quick ? 1000 : 3000,
      timeoutMs: 60_000,
    },
  };
}

function parseSections(only: string | undefined, kamailio: boolean): Section[] {
  if (only === undefined) return SECTIONS.filter((section) => kamailio || section !== "kamailio");
  const asked = only.split(",").map((name) => name.trim());
  for (const name of asked) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new Error(`--only: unknown section ${name} (sections: ${SECTIONS.join(", ")})`);
    }
  }
  return SECTIONS.filter((section) => asked.includes(section));
}

/** Runs the bench with command-line `args`; resolves with the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      quick: { type: "boolean" },
      only: { type: "string" },
      output: { type: "string" },
      "cpu-prof": { type: "string" },
      kamailio: { type: "boolean" },
      cluster: { type: "boolean" },
    },
  });
  if (values.cluster) {
    // The fleet's database load (issue 23): its own script, on a throwaway PostgreSQL.
    const quickArgs = values.quick
      ? ["--seconds", "10", "--fleet", "20", "--fleet-seconds", "10", "--jobs", "300"]
      : [];
    const load = new URL("./cluster/load.ts", import.meta.url).pathname;
    const status = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", load, ...quickArgs],
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    return status.code;
  }
  const quick = values.quick ?? false;
  const sections = parseSections(values.only, values.kamailio ?? false);
  const output = values.output ?? new URL("./results.json", import.meta.url).pathname;
  const settings = settingsFor(quick);
  const results: BenchResults = { machine: describeMachine(), quick, settings, targets: [] };
  const step = (what: string) => console.error(`bench: ${what}...`);
  if (sections.includes("startup")) {
    step("start-up");
    results.startup = await measureStartup(settings.startup);
    const target = startupTarget(results.startup);
    if (target) results.targets.push(target);
  }
  if (sections.includes("memory")) {
    step("memory");
    results.memory = await measureMemory(settings.memory);
    results.targets.push(memoryTarget(results.memory));
  }
  if (sections.includes("rpc")) {
    step("RPC");
    const cpuProfDir = values["cpu-prof"];
    if (cpuProfDir !== undefined) await Deno.mkdir(cpuProfDir, { recursive: true });
    const rpc = await measureRpc({ ...settings.rpc, cpuProfDir });
    results.rpc = rpc.points;
    results.counting = rpc.counting;
    results.targets.push(...rpcTargets(rpc.points));
    const counting = countingTarget(rpc.counting, rpc.points);
    if (counting) results.targets.push(counting);
  }
  if (sections.includes("cli")) {
    step("CLI");
    results.cli = await measureCli(settings.cli);
  }
  if (sections.includes("isolation")) {
    step("isolation");
    results.isolation = await measureIsolation(settings.isolation);
    results.targets.push(...isolationTargets(results.isolation));
  }
  if (sections.includes("kamailio")) {
    step("side by side with Kamailio");
    results.kamailio = await measureSideBySide(settings.kamailio);
    results.targets.push(...sideTargets(results.kamailio));
  }
  results.loadAtEnd = loadAverage();
  console.log(renderReport(results));
  await Deno.writeTextFile(output, JSON.stringify(results, null, 2) + "\n");
  console.error(`bench: figures written to ${output}`);
  return 0;
}

if (import.meta.main) {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => killAll().finally(() => Deno.exit(130)));
  }
  let code = 1;
  try {
    code = await main(Deno.args);
  } catch (error) {
    console.error(`bench: failed: ${error instanceof Error ? error.stack : error}`);
  } finally {
    await killAll();
  }
  Deno.exit(code);
}
