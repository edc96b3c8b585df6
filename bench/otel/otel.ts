/**
 * What OpenTelemetry costs `evrexec.run` (issue 25): the p50 of `evrexec.run
 * echo` on one connection, for this build with OpenTelemetry off, the same
 * with it on (`OTEL_DENO=true`, exporting OTLP/HTTP JSON to a receiver this
 * script runs), and, given `--baseline DIR` (a checkout of the build without
 * OpenTelemetry, e.g. `git archive <commit> | tar -x -C DIR`), that build.
 * Rounds interleave the hosts, so that the machine's noise falls on each alike.
 *
 *     deno run --allow-all bench/otel/otel.ts [--baseline DIR] [--rounds 5] [--seconds 4]
 *
 * Prints one line per round and host, then the medians and the ratios.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FIXTURE, HOST_PERMISSIONS, HOST_READY, PARK_FLAGS, ROOT } from "../common/launch.ts";
import { Child } from "../common/proc.ts";
import { median } from "../common/stats.ts";
import { runLoad } from "../rpc/load.ts";
import { callerTraceparent, startRunSpan } from "../../src/host/methods/run_span.ts";
import { inRemoteSpan } from "../../src/worker/run_trace.ts";

const { values } = parseArgs({
  options: {
    baseline: { type: "string" },
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "4" },
    "off-only": { type: "boolean", default: false },
  },
});
const rounds = Number(values.rounds);
const durationMs = Number(values.seconds) * 1000;

let spans = 0;
const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
  const text = await request.text();
  if (new URL(request.url).pathname === "/v1/traces") spans += text.split('"spanId"').length - 1;
  return new Response("{}", { headers: { "content-type": "application/json" } });
});

interface Variant {
  readonly label: string;
  readonly root: string;
  readonly env: Record<string, string>;
}
const variants: Variant[] = [
  ...(values.baseline
    ? [{ label: "baseline (no OpenTelemetry)", root: values.baseline, env: {} }]
    : []),
  { label: "this build, OpenTelemetry off", root: ROOT, env: {} },
  ...(values["off-only"] ? [] : [{
    label: "this build, OpenTelemetry on",
    root: ROOT,
    env: {
      OTEL_DENO: "true",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.addr.port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    },
  }]),
];

async function measure(variant: Variant): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-bench-otel-" });
  const socket = `${dir}/rpc.sock`;
  const args = [
    "run",
    ...PARK_FLAGS,
    ...HOST_PERMISSIONS,
    `${variant.root}/mod.ts`,
    "--socket",
    socket,
    FIXTURE,
  ];
  const child = Child.spawn(variant.label, args, { cwd: variant.root, env: variant.env });
  try {
    await child.waitLine(HOST_READY, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the rest of the pool starts
    const result = await runLoad({
      socket,
      connections: 1,
      warmupMs: 1000,
      durationMs,
      call: { run: "echo" },
    });
    if (result.errors > 0 || result.lost > 0) {
      throw new Error(`${variant.label}: ${result.firstProblem}`);
    }
    return result.p50Us;
  } finally {
    await child.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * The code OpenTelemetry added to a call's path, run in this process with
 * OpenTelemetry off (this process has no OTEL_DENO): its own time per call, in ns.
 */
function offPathNs(): number {
  const fn = (data: string) => data;
  const calls = 1_000_000;
  let sink = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    const parent = callerTraceparent(undefined);
    const span = startRunSpan("echo", parent);
    sink += inRemoteSpan(span?.trace.traceparent, () => fn("x")).length;
    span?.end();
  }
  const ns = (performance.now() - started) * 1e6 / calls;
  if (sink !== calls) throw new Error("the loop was not run");
  return ns;
}
console.log(`OpenTelemetry off: the added code's own time per call: ${offPathNs().toFixed(1)} ns`);

const p50s = new Map<string, number[]>(variants.map((v) => [v.label, []]));
for (let round = 1; round <= rounds; round++) {
  for (const variant of round % 2 ? variants : [...variants].reverse()) {
    const p50 = await measure(variant);
    p50s.get(variant.label)!.push(p50);
    console.log(`round ${round}: ${variant.label}: p50 ${p50.toFixed(1)} us`);
  }
}
await receiver.shutdown();
const medianOf = (label: string) => median(p50s.get(label)!);
console.log("medians of the rounds' p50:");
for (const variant of variants) {
  console.log(`  ${variant.label}: ${medianOf(variant.label).toFixed(1)} us`);
}
const off = medianOf("this build, OpenTelemetry off");
if (values.baseline) {
  const base = p50s.get(variants[0].label)!;
  const ratios = p50s.get("this build, OpenTelemetry off")!.map((p50, i) => p50 / base[i]);
  console.log(
    `off / baseline: ${(off / medianOf(variants[0].label)).toFixed(3)}x (medians); ` +
      `median of the rounds' ratios ${median(ratios).toFixed(3)}x`,
  );
}
if (!values["off-only"]) {
  const on = medianOf("this build, OpenTelemetry on");
  const onPerCall = (on - off).toFixed(1);
  console.log(`on - off: ${onPerCall} us per call (${(on / off).toFixed(3)}x); ${spans} spans`);
}
