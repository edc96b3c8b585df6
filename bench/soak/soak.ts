/**
 * `deno task soak [--minutes N]`: runs the host under a mixed load for N
 * minutes (default 10), samples its RSS, heap, descriptors, threads and CPU,
 * prints them as a table with a verdict, and writes the figures as JSON.
 *
 * Usage: deno run --allow-all bench/soak/soak.ts [--minutes N] [--out FILE]
 *
 * Exits 0 when the verdict passes (flat after warm-up, every call answered
 * exactly once, the host alive), 1 when it does not, 2 on a usage error.
 * The host's log goes beside the JSON, as FILE with `.log` for `.json`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { describeMachine } from "../report/machine.ts";
import { sleep } from "../common/proc.ts";
import { Ledger } from "./ledger.ts";
import { closeLoad, type LoadCounts, type LoadSettings, runLoad } from "./load.ts";
import { type Sample, sampleHost } from "./sample.ts";
import { BOUNDS, judge, sampleTable, verdictLines } from "./verdict.ts";
import { settlesWithin } from "../../src/base/deadline.ts";
import { SoakHost } from "./spawn.ts";

const SAMPLE_EVERY_S = 2;
const TABLE_EVERY_S = 10;
/** The warm-up is 20% of the run, and at least this long (RSS still rises at 12 s). */
const WARMUP_MIN_S = 20;
/** How long answers still due may take after the load stops. */
const DRAIN_MS = 15_000;
const RPC_TIMEOUT_MS = 1000;

/** The load; the host's options below match it. */
const LOAD: LoadSettings = {
  pipelines: 3,
  callsPerSecond: 300,
  burst: 20,
  batchEveryMs: 500,
  batchSize: 40,
  timeoutEveryMs: 3000,
  overrunMs: 3 * RPC_TIMEOUT_MS,
  churnEveryMs: 100,
  reloadEveryMs: 5000,
  restartEveryMs: 7000,
  restartTasks: ["stubborn", "ticker", "crashy"],
};

const HOST_OPTIONS = [
  ["--rpc-timeout", String(RPC_TIMEOUT_MS)],
  ["--shutdown-timeout", "2000"],
  ["--exec", "name=ticker;workers=2;restart=always"],
  ["--exec", "name=stubborn;workers=2;restart=on-failure"],
  ["--exec", "name=crashy;workers=1;restart=always;backoff=200"],
].flat();

function usage(message: string): never {
  console.error(`soak: ${message}\nUsage: deno task soak [--minutes N] [--out FILE]`);
  Deno.exit(2);
}

function parse() {
  try {
    return parseArgs({
      args: Deno.args,
      options: { minutes: { type: "string", default: "10" }, out: { type: "string" } },
      strict: true,
    }).values;
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
}

const values = parse();
const minutes = Number(values.minutes);
if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) {
  usage(`--minutes must be a number of minutes above 0, not ${JSON.stringify(values.minutes)}`);
}
const out = values.out ?? new URL("../soak.json", import.meta.url).pathname;
const logFile = out.replace(/(\.json)?$/, ".log");
const durationS = Math.round(minutes * 60);
const warmupS = Math.max(WARMUP_MIN_S, Math.round(durationS * 0.2));

const machine = describeMachine();
console.log(
  `soak: ${durationS} s of mixed load (warm-up ${warmupS} s), sampled every ${SAMPLE_EVERY_S} s; ` +
    `load average ${machine.loadAtStart}; log in ${logFile}`,
);
const host = await SoakHost.start(HOST_OPTIONS, logFile);
const ledger = new Ledger();
const counts: LoadCounts = { connections: 0, dropped: 0, reloads: 0, restarts: 0 };
const samples: Sample[] = [];
let stopResult = { code: -1, ms: NaN };
try {
  const started = performance.now();
  const elapsedS = () => (performance.now() - started) / 1000;
  const sample = () => {
    if (!host.alive) return;
    try {
      samples.push(sampleHost(host.pid, host.statsFile, elapsedS(), ledger.answered));
    } catch {
      // the host is gone; the verdict says so
    }
  };
  sample();
  const until = started + durationS * 1000;
  const load = runLoad(host.socket, ledger, LOAD, until, counts);
  let nextRow = TABLE_EVERY_S;
  while (performance.now() < until && host.alive) {
    await sleep(Math.min(SAMPLE_EVERY_S * 1000, until - performance.now()));
    sample();
    const last = samples.at(-1);
    if (last !== undefined && last.t >= nextRow - 0.5) {
      nextRow += TABLE_EVERY_S;
      console.log(
        `  ${last.t.toFixed(0)} s: RSS ${last.rssMiB.toFixed(0)} MiB, heap ${
          last.heapMiB.toFixed(1)
        } MiB, ${last.fds} fds, ${last.threads} threads, ${ledger.answered} answered`,
      );
    }
  }
  if (!await settlesWithin(load, DRAIN_MS)) closeLoad();
  await settlesWithin(load, 2000);
  stopResult = await host.stop();
} finally {
  await host.kill();
}

const verdict = judge(samples, warmupS, {
  sent: ledger.sent,
  answered: ledger.answered,
  missing: ledger.pending,
  duplicates: ledger.duplicates,
  unknown: ledger.unknown,
  wrong: ledger.wrong,
  dropped: ledger.dropped,
}, host.aliveToTheEnd);

console.log();
console.log(sampleTable(samples, TABLE_EVERY_S));
console.log();
for (const line of verdictLines(verdict)) console.log(line);
const errors = [...ledger.errors].map(([key, n]) => `${key}×${n}`).join(", ");
console.log(`  error answers (kind code×count): ${errors || "none"}`);
if (ledger.pending > 0) console.log(`  still unanswered: ${ledger.pendingKinds()}`);
for (const example of ledger.wrongExamples) console.log(`  wrong: ${example}`);
console.log(
  `  load: ${counts.connections} short connections (${counts.dropped} dropped mid-call), ` +
    `${counts.reloads} reloads, ${counts.restarts} restarts; host log: ${host.warnings} ` +
    `warnings, ${host.errors} errors; SIGTERM to exit ${stopResult.code} in ` +
    `${stopResult.ms.toFixed(0)} ms`,
);
await Deno.writeTextFile(
  out,
  JSON.stringify(
    {
      machine,
      minutes,
      warmupS,
      bounds: BOUNDS,
      load: LOAD,
      hostOptions: HOST_OPTIONS,
      samples,
      verdict,
      errorAnswers: Object.fromEntries(ledger.errors),
      counts,
      hostLog: { warnings: host.warnings, errors: host.errors, file: logFile },
      stop: stopResult,
    },
    null,
    2,
  ) + "\n",
);
console.log(`figures written to ${out}`);
Deno.exit(verdict.pass ? 0 : 1);
