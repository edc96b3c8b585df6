// The soak's bookkeeping and verdict: answers counted exactly once, and
// growth after warm-up caught while transient peaks are not.
import assert from "node:assert/strict";
import { Ledger } from "../../bench/soak/ledger.ts";
import type { Sample } from "../../bench/soak/sample.ts";
import { judge, RSS_SETTLE_S, verdictLines } from "../../bench/soak/verdict.ts";

Deno.test("soak ledger: duplicates, unknown ids, wrong results and dropped calls are told apart", () => {
  const ledger = new Ledger();
  const a = ledger.issue("echo", { result: "a" });
  const b = ledger.issue("echo", { result: "b" });
  const c = ledger.issue("throw", "error");
  const d = ledger.issue("echo", { result: "d" });
  const e = ledger.issue("reload", "any");
  ledger.answer({ id: a, result: "a" });
  ledger.answer({ id: a, result: "a" });
  ledger.answer({ id: b, result: "a" });
  ledger.answer({ id: c, error: { code: -32000, message: "x" } });
  ledger.answer({ id: 999, result: 1 });
  ledger.answer({ id: null, error: { code: -32700, message: "x" } } as never);
  ledger.drop(d);
  ledger.answer({ id: d, result: "d" });
  assert.equal(ledger.pending, 1);
  assert.equal(ledger.pendingKinds(), "reload×1");
  ledger.answer({ id: e, result: { anything: true } });
  assert.deepEqual(
    {
      sent: ledger.sent,
      answered: ledger.answered,
      duplicates: ledger.duplicates,
      unknown: ledger.unknown,
      wrong: ledger.wrong,
      dropped: ledger.dropped,
      pending: ledger.pending,
    },
    { sent: 5, answered: 4, duplicates: 1, unknown: 3, wrong: 1, dropped: 1, pending: 0 },
  );
  assert.deepEqual(Object.fromEntries(ledger.errors), { "throw -32000": 1 });
  for (let i = 0; i < 100_000; i++) ledger.issue("echo", "any"); // the id table grows
  assert.equal(ledger.pending, 100_000);
});

const CALLS = {
  sent: 10,
  answered: 10,
  missing: 0,
  duplicates: 0,
  unknown: 0,
  wrong: 0,
  dropped: 0,
};

function samples(
  threads: (t: number) => number,
  rss: (t: number) => number = () => 200,
  length = 31,
): Sample[] {
  return Array.from({ length }, (_, i) => ({
    t: i * 2,
    rssMiB: rss(i * 2),
    heapMiB: 10,
    fds: 60,
    threads: threads(i * 2),
    cpuS: i * 0.6,
    answered: i * 100,
  }));
}

Deno.test("soak verdict: flat with transient peaks; a rising floor is growth", () => {
  const spiky = judge(samples((t) => (t % 10 === 0 ? 19 : 12)), 12, CALLS, true);
  assert.equal(spiky.flat, true, "restarts in progress add threads for a moment");
  assert.equal(spiky.pass, true);
  const dips = judge(samples((t) => (t === 14 ? 8 : t % 10 === 0 ? 15 : 12)), 12, CALLS, true);
  assert.equal(dips.flat, true, "a restart's dip in the first third only is no growth");
  const leaking = judge(samples((t) => 12 + Math.floor(t / 10)), 12, CALLS, true);
  assert.equal(leaking.flat, false);
  assert.equal(leaking.checks.find((c) => c.metric === "threads")?.ok, false);
  const warmingUp = judge(samples(() => 12, (t) => (t < 12 ? 100 + 10 * t : 220)), 12, CALLS, true);
  assert.equal(warmingUp.flat, true, "growth during warm-up does not count");
  const cpu = warmingUp.checks.find((c) => c.metric === "cpuPercent")!;
  assert.equal(Math.round(cpu.early), 30);
});

Deno.test("soak verdict: a missing answer, a dead host or too few samples fail", () => {
  const flat = samples(() => 12);
  assert.equal(judge(flat, 12, { ...CALLS, missing: 1 }, true).pass, false);
  assert.equal(judge(flat, 12, { ...CALLS, duplicates: 1 }, true).exactlyOnce, false);
  assert.equal(judge(flat, 12, CALLS, false).pass, false);
  const short = judge(flat.slice(0, 7), 12, CALLS, true);
  assert.equal(short.flat, false);
  assert.equal(short.checks.length, 0);
});

Deno.test("soak verdict: RSS is judged from its settle time on; a shorter run reports it only", () => {
  const rising = (t: number) => 150 + t / 2; // +1 MiB every 2 s, for good
  const short = judge(samples(() => 12, rising, 61), 24, CALLS, true); // two minutes
  const rss = short.checks.find((c) => c.metric === "rssMiB")!;
  assert.equal(rss.judged, false);
  assert.equal(short.flat, true, "threads, heap, descriptors and CPU still judged");
  assert.match(verdictLines(short).join("\n"), /RSS \(MiB\).*not judged: RSS settles after 150 s/);
  const long = judge(samples(() => 12, rising, 301), 120, CALLS, true); // ten minutes
  const judged = long.checks.find((c) => c.metric === "rssMiB")!;
  assert.equal(judged.judged, true);
  assert.equal(judged.ok, false, "a rise that goes on past the settle time is growth");
  const settling = (t: number) => t < RSS_SETTLE_S ? 100 + t / 2 : 175;
  const settled = judge(samples(() => 12, settling, 301), 120, CALLS, true);
  assert.equal(settled.flat, true, "the rise before the settle time does not count");
});

Deno.test("soak verdict: descriptors are compared at equal thread counts, by their median; a leak is growth", () => {
  // Each worker thread holds six descriptors; in the early third two workers
  // were restarting at one sample (a dip of twelve), later none were.
  const withFds = (threads: (t: number) => number, extra: (t: number) => number) =>
    samples(threads).map((s) => ({ ...s, fds: 6 * s.threads + 8 + extra(s.t) }));
  const dip = withFds((t) => (t === 20 ? 10 : 12), () => 0);
  const fds = judge(dip, 12, CALLS, true).checks.find((c) => c.metric === "fds")!;
  assert.equal(fds.ok, true, `a restart's dip is not growth: ${fds.early} -> ${fds.late}`);
  assert.equal(fds.late - fds.early, 0);
  // One sample read the threads before a worker ended and the descriptors after: 11 fewer at the
  // same thread count. A floor would call the rest growth; the median does not.
  const race = withFds(() => 12, (t) => (t === 16 ? -11 : 0));
  const raced = judge(race, 12, CALLS, true).checks.find((c) => c.metric === "fds")!;
  assert.equal(raced.late - raced.early, 0, `${raced.early} -> ${raced.late}`);
  const leak = withFds((t) => (t % 8 === 0 ? 13 : 12), (t) => Math.floor(t / 3));
  const leaking = judge(leak, 12, CALLS, true).checks.find((c) => c.metric === "fds")!;
  assert.equal(
    leaking.ok,
    false,
    `one descriptor every 3 s is growth: ${leaking.early} -> ${leaking.late}`,
  );
  const noCommon = withFds((t) => (t < 30 ? 12 : 14), (t) => Math.floor(t / 3));
  const fallback = judge(noCommon, 12, CALLS, true).checks.find((c) => c.metric === "fds")!;
  assert.equal(fallback.ok, false, "without a common thread count, the plain floors");
});
