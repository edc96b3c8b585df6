/**
 * The soak's verdict: after warm-up, each figure's floor (its lowest value)
 * in the first third against the last third, within stated bounds
 * (threads and CPU by their median, descriptors by theirs at equal thread
 * counts);
 * and every call answered exactly once. Also renders the table of samples.
 *
 * @module
 */

import { cpuPercent, type Sample } from "./sample.ts";
import { fmt, renderTable } from "../report/table.ts";

/** How much each figure may grow from the first to the last third after warm-up. */
export const BOUNDS = {
  rssMiB: 32,
  heapMiB: 8,
  fds: 8,
  threads: 2,
  cpuPercent: 25,
} as const;

type Metric = keyof typeof BOUNDS;

/**
 * RSS is judged only from this far into the run, s: under the soak's load
 * (a reload every 5 s, a restart every 7 s) the heap-capped workers' RSS
 * rises for about 150 s before it holds (30-minute run, docs/reliability.md).
 */
export const RSS_SETTLE_S = 150;
/** How much of the run must follow {@link RSS_SETTLE_S} for RSS to be judged, s. */
export const RSS_MIN_SPAN_S = 60;

/** One figure's growth after warm-up. */
export interface MetricCheck {
  /** Which figure. */
  readonly metric: Metric;
  /** Floor (lowest sample) of the first third; for threads, descriptors and CPU, a median. */
  readonly early: number;
  /** Floor of the last third; for threads, descriptors and CPU, a median. */
  readonly late: number;
  /** The growth allowed. */
  readonly bound: number;
  /** Growth within the bound (true when not judged). */
  readonly ok: boolean;
  /** False when the run was too short to judge it (RSS only); it is still reported. */
  readonly judged: boolean;
}

/** The ledger's totals. */
export interface CallTotals {
  /** Requests sent with an id. */
  readonly sent: number;
  /** Answered once. */
  readonly answered: number;
  /** Never answered (dropped ones aside). */
  readonly missing: number;
  /** Answered more than once. */
  readonly duplicates: number;
  /** Answers to ids never sent. */
  readonly unknown: number;
  /** Answers that contradict their call. */
  readonly wrong: number;
  /** Sent on connections the soak dropped on purpose. */
  readonly dropped: number;
}

/** What the soak concludes. */
export interface Verdict {
  /** Every figure within its bound (false when too few samples came after warm-up). */
  readonly flat: boolean;
  /** Every call answered exactly once, with an answer that fits it. */
  readonly exactlyOnce: boolean;
  /** The host lived to the end. */
  readonly hostAlive: boolean;
  /** All three. */
  readonly pass: boolean;
  /** Seconds of warm-up left out. */
  readonly warmupS: number;
  /** Each figure's growth. */
  readonly checks: readonly MetricCheck[];
  /** The ledger's totals. */
  readonly calls: CallTotals;
}

function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)];
}

function floor(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? NaN : Math.min(...finite);
}

/**
 * The descriptor levels of two windows, compared at equal thread counts:
 * each worker thread holds about six descriptors, so a sample taken while
 * workers restart dips by that much, and a dip in one window only would read
 * as growth (or hide it). The thread count compared is the one both windows
 * saw most often (the steady state), and the level is the median of its
 * samples: a sample may still read the threads and the descriptors on either
 * side of a worker's start or end (a 60-minute run had one 11 below the
 * rest at the same thread count). Without a common thread count, the plain
 * medians.
 */
function descriptorLevels(early: readonly Sample[], late: readonly Sample[]): [number, number] {
  const byThreads = (window: readonly Sample[]) => {
    const groups = new Map<number, number[]>();
    for (const s of window) groups.set(s.threads, [...(groups.get(s.threads) ?? []), s.fds]);
    return groups;
  };
  const lateGroups = byThreads(late);
  let best: { pair: [number, number]; samples: number } | undefined;
  for (const [threads, e] of byThreads(early)) {
    const l = lateGroups.get(threads);
    if (l === undefined) continue;
    const samples = Math.min(e.length, l.length);
    if (best === undefined || samples > best.samples) {
      best = { pair: [median(e), median(l)], samples };
    }
  }
  return best?.pair ?? [median(early.map((s) => s.fds)), median(late.map((s) => s.fds))];
}

/** Judges `samples` (taken every few seconds) and the call totals. */
export function judge(
  samples: readonly Sample[],
  warmupS: number,
  calls: CallTotals,
  hostAlive: boolean,
): Verdict {
  const after = samples.filter((sample) => sample.t >= warmupS);
  const third = Math.max(1, Math.floor(after.length / 3));
  const early = after.slice(0, third), late = after.slice(-third);
  const checks: MetricCheck[] = [];
  if (after.length >= 2) {
    const rssFrom = Math.max(warmupS, RSS_SETTLE_S);
    const settled = samples.filter((sample) => sample.t >= rssFrom);
    const rssJudged = (samples.at(-1)?.t ?? 0) - rssFrom >= RSS_MIN_SPAN_S;
    for (const metric of ["rssMiB", "heapMiB", "fds", "threads"] as const) {
      const judged = metric !== "rssMiB" || rssJudged;
      const window = metric === "rssMiB" && judged ? settled : after;
      const part = Math.max(1, Math.floor(window.length / 3));
      const first = window.slice(0, part), last = window.slice(-part);
      // Threads dip and peak by a task's workers while it restarts: their median is the level.
      const level = metric === "threads" ? median : floor;
      const [e, l] = metric === "fds"
        ? descriptorLevels(first, last)
        : [level(first.map((s) => s[metric])), level(last.map((s) => s[metric]))];
      checks.push({
        metric,
        early: e,
        late: l,
        bound: BOUNDS[metric],
        ok: !judged || l - e <= BOUNDS[metric],
        judged,
      });
    }
    const cpu = (window: readonly Sample[]) =>
      median(window.map((s) => cpuPercent(samples[samples.indexOf(s) - 1] ?? s, s)));
    const e = cpu(early), l = cpu(late);
    checks.push({
      metric: "cpuPercent",
      early: e,
      late: l,
      bound: BOUNDS.cpuPercent,
      ok: !(l - e > BOUNDS.cpuPercent),
      judged: true,
    });
  }
  const flat = checks.length > 0 && checks.every((check) => check.ok);
  const exactlyOnce = calls.missing === 0 && calls.duplicates === 0 && calls.unknown === 0 &&
    calls.wrong === 0;
  return {
    flat,
    exactlyOnce,
    hostAlive,
    pass: flat && exactlyOnce && hostAlive,
    warmupS,
    checks,
    calls,
  };
}

const LABELS: Record<Metric, string> = {
  rssMiB: "RSS (MiB)",
  heapMiB: "heap (MiB)",
  fds: "descriptors",
  threads: "threads",
  cpuPercent: "CPU (% of a core)",
};

/** The verdict as lines of text. */
export function verdictLines(verdict: Verdict): string[] {
  const c = verdict.calls;
  const lines = [
    `verdict: ${verdict.pass ? "PASS" : "FAIL"}: ${verdict.flat ? "flat" : "NOT flat"} after ` +
    `${verdict.warmupS} s of warm-up; ${
      verdict.exactlyOnce ? "every call answered exactly once" : "calls NOT answered exactly once"
    }${verdict.hostAlive ? "" : "; the host DIED"}`,
    `  calls: ${c.sent} sent, ${c.answered} answered, ${c.missing} missing, ${c.duplicates} ` +
    `answered twice, ${c.unknown} unknown ids, ${c.wrong} wrong; ${c.dropped} dropped with ` +
    `their connection on purpose`,
  ];
  if (verdict.checks.length === 0) lines.push("  too few samples after warm-up to judge growth");
  for (const check of verdict.checks) {
    const digits = check.metric === "rssMiB" || check.metric === "heapMiB" ? 1 : 0;
    const growth = check.late - check.early;
    lines.push(
      `  ${LABELS[check.metric].padEnd(18)} ${fmt(check.early, digits)} → ${
        fmt(check.late, digits)
      } (${growth >= 0 ? "+" : ""}${fmt(growth, digits)}; ${
        check.judged
          ? `bound +${check.bound}) ${check.ok ? "ok" : "GROWING"}`
          : `not judged: RSS settles after ${RSS_SETTLE_S} s, a run must go on ` +
            `${RSS_MIN_SPAN_S} s past that)`
      }`,
    );
  }
  return lines;
}

/** The samples every `everyS` seconds as a table, with CPU and calls/s over each step. */
export function sampleTable(samples: readonly Sample[], everyS: number): string {
  const rows: Sample[] = [];
  for (const sample of samples) {
    if (rows.length === 0 || sample.t - rows.at(-1)!.t >= everyS - 0.5) rows.push(sample);
  }
  const last = samples.at(-1);
  if (last !== undefined && rows.at(-1) !== last) rows.push(last);
  return renderTable(
    ["t (s)", "RSS MiB", "heap MiB", "fds", "threads", "CPU %", "calls/s"],
    rows.map((sample, i) => {
      const prev = rows[i - 1];
      const rate = prev ? (sample.answered - prev.answered) / (sample.t - prev.t) : NaN;
      return [
        fmt(sample.t),
        fmt(sample.rssMiB, 1),
        fmt(sample.heapMiB, 1),
        fmt(sample.fds),
        fmt(sample.threads),
        prev ? fmt(cpuPercent(prev, sample)) : "-",
        fmt(rate),
      ];
    }),
  );
}
