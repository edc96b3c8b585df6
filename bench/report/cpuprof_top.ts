/**
 * Summarises a V8 `.cpuprofile` (as `deno run --cpu-prof` writes): the
 * functions with the most self time and the most inclusive time.
 *
 * Usage: deno run --allow-read bench/report/cpuprof_top.ts FILE [N]
 *
 * @module
 */

/** A call frame of a profile node. */
interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

/** One node of the profile's call tree. */
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

/** The parts of a `.cpuprofile` this tool reads. */
export interface CpuProfile {
  /** The call tree. */
  readonly nodes: readonly ProfileNode[];
  /** The node of each sample. */
  readonly samples: readonly number[];
  /** Microseconds before each sample. */
  readonly timeDeltas: readonly number[];
}

/** Time spent in one function. */
export interface FunctionTime {
  /** `name (file:line)`. */
  readonly key: string;
  /** Time in the function itself, ms. */
  readonly selfMs: number;
  /** Time in the function and what it called, ms. */
  readonly totalMs: number;
}

function keyOf(frame: CallFrame): string {
  const file = frame.url.replace(/^.*\//, "");
  const name = frame.functionName || "(anonymous)";
  return file ? `${name} (${file}:${frame.lineNumber + 1})` : name;
}

/** Self and inclusive time per function, most self time first. */
export function functionTimes(profile: CpuProfile): FunctionTime[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + us);
  }
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const childIds = new Set(profile.nodes.flatMap((node) => node.children ?? []));
  const walk = (id: number, onStack: Set<string>): number => {
    const node = byId.get(id);
    if (node === undefined) return 0;
    const key = keyOf(node.callFrame);
    const own = selfUs.get(id) ?? 0;
    self.set(key, (self.get(key) ?? 0) + own);
    const fresh = !onStack.has(key);
    if (fresh) onStack.add(key);
    let sum = own;
    for (const child of node.children ?? []) sum += walk(child, onStack);
    if (fresh) {
      onStack.delete(key);
      total.set(key, (total.get(key) ?? 0) + sum);
    }
    return sum;
  };
  for (const node of profile.nodes) if (!childIds.has(node.id)) walk(node.id, new Set());
  return [...self.keys()]
    .map((key) => ({
      key,
      selfMs: (self.get(key) ?? 0) / 1000,
      totalMs: (total.get(key) ?? 0) / 1000,
    }))
    .sort((a, b) => b.selfMs - a.selfMs);
}

if (import.meta.main) {
  const [file, n] = Deno.args;
  if (!file) {
    console.error("usage: cpuprof_top.ts FILE [N]");
    Deno.exit(2);
  }
  const top = Number(n ?? "25");
  const times = functionTimes(JSON.parse(await Deno.readTextFile(file)) as CpuProfile);
  const all = times.reduce((sum, time) => sum + time.selfMs, 0);
  const pct = (ms: number) => `${(100 * ms / all).toFixed(1).padStart(5)}%`;
  console.log(`total sampled: ${all.toFixed(0)} ms\n\nself time:`);
  for (const time of times.slice(0, top)) {
    console.log(`${pct(time.selfMs)} ${time.selfMs.toFixed(1).padStart(8)} ms  ${time.key}`);
  }
  console.log("\ninclusive time:");
  for (const time of [...times].sort((a, b) => b.totalMs - a.totalMs).slice(0, top)) {
    console.log(`${pct(time.totalMs)} ${time.totalMs.toFixed(1).padStart(8)} ms  ${time.key}`);
  }
}
