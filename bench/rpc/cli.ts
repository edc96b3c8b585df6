/**
 * CLI: wall time of one `deno task rpc core.version` and of the client
 * module run directly, against a running host; the floor is a bare Deno
 * client (floors/client.ts) making the same call.
 *
 * @module
 */

import { HOST_PERMISSIONS, HOST_READY, launchHost, ROOT } from "../common/launch.ts";
import { timedRun } from "../common/proc.ts";
import { ratio, type Spread, spread } from "../common/stats.ts";

/** Wall time of one way of calling `core.version`. */
export interface CliPoint {
  /** What was run. */
  readonly name: string;
  /** The command line. */
  readonly command: string;
  /** Spawn to exit, ms. */
  readonly ms: Spread;
  /** ms.median / the floor's median. */
  readonly ratio: number;
}

/** Settings of the CLI measurement. */
export interface CliOptions {
  /** Measured runs of each command (after one warm-up each). */
  readonly runs: number;
  /** Longest run of one command, ms. */
  readonly timeoutMs: number;
}

const RPC_CLI = new URL("../../src/client/main.ts", import.meta.url).pathname;
const FLOOR_CLIENT = new URL("../floors/client.ts", import.meta.url).pathname;

/** Times each way of calling `core.version`, runs interleaved; the floor comes last. */
export async function measureCli(options: CliOptions): Promise<CliPoint[]> {
  const host = await launchHost();
  try {
    await host.child.waitLine(HOST_READY, options.timeoutMs);
    const commands = [
      { name: "deno task rpc", args: ["task", "rpc", "--socket", host.socket, "core.version"] },
      {
        name: "deno run src/client/main.ts",
        args: ["run", ...HOST_PERMISSIONS, RPC_CLI, "--socket", host.socket, "core.version"],
      },
      {
        name: "floor: deno run bench/floors/client.ts",
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-net",
          FLOOR_CLIENT,
          host.socket,
          "core.version",
        ],
      },
    ];
    const times = commands.map((): number[] => []);
    for (let run = -1; run < options.runs; run++) {
      for (const [i, command] of commands.entries()) {
        const result = await timedRun(command.args, options.timeoutMs, { cwd: ROOT });
        if (result.code !== 0 || !/evrexec-deno \d+\.\d+/.test(result.output)) {
          throw new Error(`${command.name} failed (exit ${result.code}):\n${result.output}`);
        }
        if (run >= 0) times[i].push(result.ms);
      }
    }
    const floorMedian = spread(times[times.length - 1]).median;
    return commands.map((command, i) => {
      const ms = spread(times[i]);
      return {
        name: command.name,
        command: `deno ${command.args.join(" ").replace(host.socket, "SOCKET")}`,
        ms,
        ratio: ratio(ms.median, floorMedian),
      };
    });
  } finally {
    await host.stop();
  }
}
