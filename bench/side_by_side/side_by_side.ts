/**
 * `deno task bench --kamailio`: Kamailio's own `evrexec.run` beside the
 * host's, driven by one client (`client.py`, Python's standard library)
 * over Unix datagrams for both, and the host over its stream socket too,
 * beside Deno's floor (a bare server answering on its main thread); in
 * rounds, the servers' order rotating, so each round's ratio holds on a
 * noisy machine. Then each server's CPU while idle. Skipped, with the
 * reason, where Kamailio, its modules or python3 are missing.
 *
 * @module
 */

import { findKamailio, type RunningKamailio, startKamailio } from "./kamailio.ts";
import {
  FLOOR_LISTENING,
  HOST_READY,
  type Launched,
  launchFloorServer,
  launchHost,
} from "../common/launch.ts";
import { cpuSeconds, sleep, treeCpuSeconds } from "../common/proc.ts";
import type { Measured } from "../rpc/rpc.ts";
import type { LoadResult } from "../rpc/load.ts";
import { median, ratio } from "../common/stats.ts";

const CLIENT = new URL("./client.py", import.meta.url).pathname;

/** The servers compared, in the table's order. */
export const SIDE_SERVERS = ["kamailio", "host-dgram", "host-stream", "deno-floor"] as const;
/** One server of the comparison: Kamailio, the host over datagrams, the host over its stream. */
export type SideServer = typeof SIDE_SERVERS[number];

/** Settings of the side-by-side section. */
export interface SideOptions {
  /** Client counts, each a closed loop with one call in flight. */
  readonly clients: readonly number[];
  /** Rounds; each runs every server at every client count once. */
  readonly rounds: number;
  /** Warm-up of each load, ms. */
  readonly warmupMs: number;
  /** Measured time of each load, ms. */
  readonly durationMs: number;
  /** How long each server's idle CPU is measured, ms (after 1 s of rest). */
  readonly idleMs: number;
  /** Longest wait for a server to be ready, ms. */
  readonly timeoutMs: number;
}

/** One server at one client count: the median over rounds of each figure. */
export interface SidePoint {
  /** Which server. */
  readonly server: SideServer;
  /** Clients. */
  readonly clients: number;
  /** Median over rounds; errors and lost summed. */
  readonly figures: Measured;
  /** Each round's p50, µs. */
  readonly p50s: readonly number[];
  /** Median over rounds of this server's p50 / Kamailio's p50 in the same round. */
  readonly p50RatioToKamailio: number;
}

/** The section's figures, or why it was skipped. */
export interface SideResults {
  /** Why the comparison did not run, when it did not. */
  readonly skipped?: string;
  /** Kamailio's version. */
  readonly kamailio?: string;
  /** Every server at every client count. */
  readonly points: SidePoint[];
  /** CPU each server used while idle, % of one core. */
  readonly idleCpuPercent: Partial<Record<SideServer, number>>;
}

/** True when `python3` runs. */
async function hasPython(): Promise<boolean> {
  try {
    return (await new Deno.Command("python3", { args: ["-c", ""] }).output()).success;
  } catch {
    return false;
  }
}

/** Runs one load of the client against `socket`; `server` tells the transport and the check. */
async function load(
  server: SideServer,
  socket: string,
  clients: number,
  options: SideOptions,
): Promise<LoadResult> {
  const args = [
    CLIENT,
    ...["--transport", server === "host-stream" || server === "deno-floor" ? "stream" : "dgram"],
    ...["--socket", socket, "--clients", String(clients)],
    ...["--warmup-ms", String(options.warmupMs), "--duration-ms", String(options.durationMs)],
    ...["--expect", server === "kamailio" ? "any" : "data"],
  ];
  const out = await new Deno.Command("python3", { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || text === "") {
    throw new Error(`side_client failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  }
  return JSON.parse(text) as LoadResult;
}

function medianOf(results: readonly Measured[]): Measured {
  const mid = (pick: (m: Measured) => number) => median(results.map(pick));
  const sum = (pick: (m: Measured) => number) => results.reduce((s, m) => s + pick(m), 0);
  return {
    connections: results[0].connections,
    calls: sum((m) => m.calls),
    answered: sum((m) => m.answered),
    callsPerS: mid((m) => m.callsPerS),
    p50Us: mid((m) => m.p50Us),
    p99Us: mid((m) => m.p99Us),
    serverCpuUsPerCall: mid((m) => m.serverCpuUsPerCall),
    errors: sum((m) => m.errors),
    lost: sum((m) => m.lost),
    connectFailures: sum((m) => m.connectFailures),
    firstProblem: results.find((m) => m.firstProblem !== null)?.firstProblem ?? null,
  };
}

/** Runs the comparison; a missing Kamailio gives a skipped result. */
export async function measureSideBySide(options: SideOptions): Promise<SideResults> {
  const setup = await findKamailio();
  if (!setup.ok) return { skipped: setup.why, points: [], idleCpuPercent: {} };
  if (!await hasPython()) {
    return {
      skipped: "python3 is not installed (the client is Python)",
      points: [],
      idleCpuPercent: {},
    };
  }
  let kamailio: RunningKamailio | null = null;
  let host: Launched | null = null;
  let floor: Launched | null = null;
  try {
    kamailio = await startKamailio(setup, options.timeoutMs);
    host = await launchHost({ dgram: true });
    await host.child.waitLine(HOST_READY, options.timeoutMs);
    floor = await launchFloorServer();
    await floor.child.waitLine(FLOOR_LISTENING, options.timeoutMs);
    const servers: Record<SideServer, { socket: string; cpu: () => number }> = {
      kamailio: { socket: kamailio.socket, cpu: () => treeCpuSeconds(kamailio!.child.pid) },
      "host-dgram": { socket: host.dgram, cpu: () => cpuSeconds(host!.child.pid) },
      "host-stream": { socket: host.socket, cpu: () => cpuSeconds(host!.child.pid) },
      "deno-floor": { socket: floor.socket, cpu: () => cpuSeconds(floor!.child.pid) },
    };
    const runs = new Map<string, Measured[]>();
    let turn = 0;
    for (let round = 0; round < options.rounds; round++) {
      for (const clients of options.clients) {
        const order = SIDE_SERVERS.map((_, k) => SIDE_SERVERS[(k + turn) % SIDE_SERVERS.length]);
        turn++;
        for (const server of order) {
          const before = servers[server].cpu();
          const result = await load(server, servers[server].socket, clients, options);
          const used = servers[server].cpu() - before;
          const key = `${server}/${clients}`;
          runs.set(key, [
            ...(runs.get(key) ?? []),
            { ...result, serverCpuUsPerCall: used * 1e6 / result.answered },
          ]);
        }
      }
    }
    const points: SidePoint[] = [];
    for (const clients of options.clients) {
      const theirs = runs.get(`kamailio/${clients}`)!;
      for (const server of SIDE_SERVERS) {
        const mine = runs.get(`${server}/${clients}`)!;
        points.push({
          server,
          clients,
          figures: medianOf(mine),
          p50s: mine.map((m) => m.p50Us),
          p50RatioToKamailio: median(mine.map((m, i) => ratio(m.p50Us, theirs[i].p50Us))),
        });
      }
    }
    await sleep(1000);
    const idle = (cpu: () => number) => ({ cpu, before: cpu() });
    const watched = { kamailio: idle(servers.kamailio.cpu), host: idle(servers["host-dgram"].cpu) };
    await sleep(options.idleMs);
    const percent = (w: { cpu: () => number; before: number }) =>
      (w.cpu() - w.before) * 100_000 / options.idleMs;
    return {
      kamailio: setup.version,
      points,
      idleCpuPercent: {
        kamailio: percent(watched.kamailio),
        "host-dgram": percent(watched.host),
      },
    };
  } finally {
    await Promise.all([kamailio?.stop(), host?.stop(), floor?.stop()]);
  }
}
