/**
 * Issue 26's measurement: the zero-hop prototype (bench/zerohop/server.ts)
 * beside Deno's main-thread floor (bench/floors/server.ts), the host as it
 * is (stream socket and `--rpc-dgram`), the prototype's datagram endpoint
 * and Kamailio 5.6 (its jsonrpcs
 * datagram socket), all driven by one client (bench/side_by_side/client.py)
 * in rounds whose server order rotates; each ratio is taken within a round,
 * then the median over rounds is printed, so the figures hold on a loaded
 * machine. Loads (clients x calls in flight each): 1x1, 4x1, 4x4, 4x16 of
 * `echo`; then 1x1 and 4x4 of `spin` (100 µs of CPU per call, what sharing
 * calls among pool workers is for), where Kamailio and the floor do not
 * run and the "floor" columns compare with the prototype's pool of one.
 *
 * Usage: deno run --allow-all --unstable-net bench/zerohop/zerohop.ts [ROUNDS] [--no-kamailio]
 *
 * @module
 */

import {
  FIXTURE,
  FLOOR_LISTENING,
  HOST_READY,
  Launched,
  launchFloorServer,
  launchHost,
  ROOT,
} from "../common/launch.ts";
import { Child, cpuSeconds, killAll, treeCpuSeconds } from "../common/proc.ts";
import { median, ratio } from "../common/stats.ts";
import { findKamailio, type RunningKamailio, startKamailio } from "../side_by_side/kamailio.ts";

const CLIENT = new URL("../side_by_side/client.py", import.meta.url).pathname;
const SERVER = new URL("./server.ts", import.meta.url).pathname;

interface Figures {
  readonly callsPerS: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly errors: number;
  readonly lost: number;
  readonly answered: number;
  readonly firstProblem: string | null;
}

interface Target {
  readonly name: string;
  readonly socket: string;
  readonly transport: "stream" | "dgram";
  readonly expect: "data" | "any";
  readonly cpu: () => number;
}

interface Load {
  readonly name: string;
  readonly clients: number;
  readonly inFlight: number;
  /** The function called: `echo`, or `spin` (100 µs of CPU: what sharing the load is for). */
  readonly fn: string;
}

const LOADS: readonly Load[] = [
  { name: "1x1", clients: 1, inFlight: 1, fn: "echo" },
  { name: "4x1", clients: 4, inFlight: 1, fn: "echo" },
  { name: "4x4", clients: 4, inFlight: 4, fn: "echo" },
  { name: "4x16", clients: 4, inFlight: 16, fn: "echo" },
  { name: "spin 1x1", clients: 1, inFlight: 1, fn: "spin" },
  { name: "spin 4x4", clients: 4, inFlight: 4, fn: "spin" },
];

async function load(
  target: Target,
  spec: Load,
): Promise<Figures & { cpuUs: number }> {
  const args = [
    CLIENT,
    ...["--transport", target.transport, "--socket", target.socket],
    ...["--clients", String(spec.clients), "--in-flight", String(spec.inFlight)],
    ...["--fn", spec.fn],
    ...["--warmup-ms", "300", "--duration-ms", "1000", "--expect", target.expect],
  ];
  const before = target.cpu();
  const out = await new Deno.Command("python3", { args, stdout: "piped", stderr: "piped" })
    .output();
  const used = target.cpu() - before;
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || text === "") {
    throw new Error(`client failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  }
  const figures = JSON.parse(text) as Figures;
  return { ...figures, cpuUs: used * 1e6 / Math.max(1, figures.answered) };
}

async function launchZero(workers: number, handoff: string): Promise<Launched> {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-zerohop-" });
  const socket = `${dir}/zero.sock`;
  const child = Child.spawn(`zerohop ${workers} ${handoff}`, [
    "run",
    "--unstable-net",
    "--allow-read",
    "--allow-write",
    "--allow-net",
    SERVER,
    socket,
    FIXTURE,
    String(workers),
    handoff,
    `${dir}/zero.dgram`,
  ], { cwd: ROOT });
  const launched = new Launched(child, dir, socket, `${dir}/zero.dgram`);
  await child.waitLine(/^zerohop: listening/, 30_000);
  return launched;
}

/** The prototype's variants: pool size and hand-off policy (`+count`: shared counters on). */
const ZERO_VARIANTS = [
  [1, "never"],
  [1, "never+count"],
  [2, "busy:1"],
  [2, "budget:50"],
  [2, "alternate"],
] as const;

const rounds = Number(Deno.args.find((a) => /^\d+$/.test(a)) ?? "3");
const withKamailio = !Deno.args.includes("--no-kamailio");
const started: Launched[] = [];
let kamailio: RunningKamailio | null = null;
try {
  const targets: Target[] = [];
  if (withKamailio) {
    const setup = await findKamailio();
    if (!setup.ok) throw new Error(setup.why);
    kamailio = await startKamailio(setup, 30_000);
    const k = kamailio;
    targets.push({
      name: "kamailio (dgram)",
      socket: k.socket,
      transport: "dgram",
      expect: "any",
      cpu: () => treeCpuSeconds(k.child.pid),
    });
  }
  const floor = await launchFloorServer();
  started.push(floor);
  await floor.child.waitLine(FLOOR_LISTENING, 30_000);
  targets.push({
    name: "deno floor (stream)",
    socket: floor.socket,
    transport: "stream",
    expect: "data",
    cpu: () => cpuSeconds(floor.child.pid),
  });
  const host = await launchHost({ dgram: true });
  started.push(host);
  await host.child.waitLine(HOST_READY, 30_000);
  targets.push({
    name: "host today (stream)",
    socket: host.socket,
    transport: "stream",
    expect: "data",
    cpu: () => cpuSeconds(host.child.pid),
  });
  targets.push({
    name: "host today (dgram)",
    socket: host.dgram,
    transport: "dgram",
    expect: "data",
    cpu: () => cpuSeconds(host.child.pid),
  });
  for (
    const [workers, handoff] of ZERO_VARIANTS
  ) {
    const zero = await launchZero(workers, handoff);
    started.push(zero);
    targets.push({
      name: `zerohop ${workers} ${handoff}`,
      socket: zero.socket,
      transport: "stream",
      expect: "data",
      cpu: () => cpuSeconds(zero.child.pid),
    });
    if (workers === 1 && handoff === "never") {
      targets.push({
        name: "zerohop 1 never (dgram)",
        socket: zero.dgram,
        transport: "dgram",
        expect: "data",
        cpu: () => cpuSeconds(zero.child.pid),
      });
    }
  }
  const runs = new Map<string, (Figures & { cpuUs: number })[]>();
  let turn = 0;
  for (let round = 0; round < rounds; round++) {
    for (const spec of LOADS) {
      const order = targets.map((_, k) => targets[(k + turn) % targets.length]);
      turn++;
      for (const target of order) {
        const key = `${target.name}/${spec.name}`;
        if (spec.fn !== "echo" && target.name.startsWith("kamailio")) continue;
        if (spec.fn !== "echo" && target.name.startsWith("deno floor")) continue;
        const figures = await load(target, spec);
        runs.set(key, [...(runs.get(key) ?? []), figures]);
      }
    }
  }
  const load1 = await Deno.readTextFile("/proc/loadavg");
  console.log(
    `zerohop bench, ${new Date().toISOString()}, ${rounds} rounds, loadavg ${load1.trim()}`,
  );
  console.log(
    "load     server                 p50us  p99us  calls/s  cpuUs  err/lost  p50/floor p99/floor cps/floor p50/kam cps/kam kam-best",
  );
  // Kamailio's best window per round: its highest calls/s over the 4-client echo loads.
  const kamBest: number[] = [];
  for (const spec of LOADS.filter((l) => l.clients === 4 && l.fn === "echo")) {
    runs.get(`kamailio (dgram)/${spec.name}`)?.forEach((m, i) => {
      kamBest[i] = Math.max(kamBest[i] ?? 0, m.lost === 0 ? m.callsPerS : 0);
    });
  }
  for (const spec of LOADS) {
    const floorRuns = runs.get(`deno floor (stream)/${spec.name}`) ??
      runs.get(`zerohop 1 never/${spec.name}`)!;
    const kamRuns = runs.get(`kamailio (dgram)/${spec.name}`);
    for (const target of targets) {
      const mine = runs.get(`${target.name}/${spec.name}`);
      if (mine === undefined) continue;
      const per = (
        pick: (f: Figures) => number,
        base: (Figures & { cpuUs: number })[] | undefined,
      ) => base === undefined ? NaN : median(mine.map((m, i) => ratio(pick(m), pick(base[i]))));
      const mid = (pick: (f: Figures & { cpuUs: number }) => number) => median(mine.map(pick));
      const sum = (pick: (f: Figures) => number) => mine.reduce((s, m) => s + pick(m), 0);
      const f = (x: number | null, d = 0) => x === null || Number.isNaN(x) ? "-" : x.toFixed(d);
      console.log(
        [
          spec.name.padEnd(8),
          target.name.padEnd(24),
          f(mid((m) => m.p50Us)).padStart(6),
          f(mid((m) => m.p99Us)).padStart(6),
          f(mid((m) => m.callsPerS)).padStart(8),
          f(mid((m) => m.cpuUs)).padStart(6),
          `${sum((m) => m.errors)}/${sum((m) => m.lost)}`.padStart(9),
          f(per((m) => m.p50Us, floorRuns), 2).padStart(10),
          f(per((m) => m.p99Us, floorRuns), 2).padStart(9),
          f(per((m) => m.callsPerS, floorRuns), 2).padStart(9),
          f(per((m) => m.p50Us, kamRuns), 2).padStart(7),
          f(per((m) => m.callsPerS, kamRuns), 2).padStart(7),
          f(median(mine.map((m, i) => ratio(m.callsPerS, kamBest[i] ?? NaN))), 2).padStart(8),
        ].join(" "),
      );
      const problem = mine.find((m) => m.firstProblem !== null)?.firstProblem;
      if (problem) console.log(`      first problem: ${problem}`);
    }
  }
} finally {
  await Promise.all(started.map((l) => l.stop()));
  await kamailio?.stop();
  await killAll();
}
