// The fire loop of a fleet-wide schedule, on a simulated clock with an
// in-memory fires table: each fire once, in order, catch-up, overlap,
// fencing, a database that fails, and a stop.
import assert from "node:assert/strict";
import { everyFireTimes } from "../../src/cluster/fire_times.ts";
import { FireLoop, type FireStore, type RunOutcome } from "../../src/cluster/fire_loop.ts";
import type { FireClaim } from "../../src/cluster/fires.ts";
import type { KeeperClock } from "../../src/cluster/keeper_clock.ts";
import type { CatchUp } from "../../src/cluster/catchup.ts";

const T = Date.UTC(2026, 0, 10, 12, 0, 0);

/** Simulated time: the database's clock is this time exactly. */
class Sim implements KeeperClock {
  now = T + 500;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;
  monotonic = () => this.now;
  setTimer = (fn: () => void, ms: number) => {
    this.#timers.set(this.#next, { at: this.now + ms, fn });
    return this.#next++;
  };
  cancel = (id: unknown) => void this.#timers.delete(id as number);

  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    await new Promise((resolve) => setTimeout(resolve, 0));
    while (true) {
      const due = [...this.#timers].filter(([, t]) =>
        t.at <= end
      ).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.now = Math.max(this.now, due[1].at);
      due[1].fn();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    this.now = end;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** The fires table in memory, fenced by `current` (the lease's token). */
class Table implements FireStore {
  rows = new Map<number, { token: number; state: string }>();
  current = 1;
  down = false;
  #check() {
    if (this.down) return Promise.reject(new Error("unavailable"));
  }
  last(): Promise<number | null> {
    return this.#check() ?? Promise.resolve(this.rows.size ? Math.max(...this.rows.keys()) : null);
  }
  markLost(_task: string, token: number): Promise<number> {
    let n = 0;
    for (const row of this.rows.values()) {
      if (row.state === "running" && row.token < token) (row.state = "lost", n++);
    }
    return this.#check() ?? Promise.resolve(n);
  }
  claim(_task: string, fireAt: number, token: number): Promise<FireClaim> {
    const failed = this.#check();
    if (failed) return failed;
    if (token !== this.current) return Promise.resolve("fenced");
    if (this.rows.has(fireAt)) return Promise.resolve("taken");
    this.rows.set(fireAt, { token, state: "running" });
    return Promise.resolve("claimed");
  }
  finish(_task: string, fireAt: number, token: number, end: string): Promise<boolean> {
    const row = this.rows.get(fireAt);
    if (token !== this.current || row === undefined || row.token !== token) {
      return Promise.resolve(false);
    }
    row.state = end;
    return Promise.resolve(true);
  }
}

function setup(options: { catchUp?: CatchUp; runMs?: number; table?: Table } = {}) {
  const sim = new Sim();
  const table = options.table ?? new Table();
  const runs: { at: number; catchUp: boolean; started: number }[] = [];
  let holding: number | null = 1;
  const loop = new FireLoop({
    clock: sim,
    dbNow: () => sim.now,
    fires: table,
    holding: () => holding,
    run: async (at, catchUp) => {
      runs.push({ at, catchUp, started: sim.now });
      if (options.runMs) {
        await new Promise((resolve) => sim.setTimer(() => resolve(null), options.runMs!));
      }
      return { ok: true } as RunOutcome;
    },
  }, {
    task: "t",
    node: "a",
    times: everyFireTimes(1_000),
    catchUp: { mode: options.catchUp ?? "skip", windowMs: 60_000 },
    retryMs: 100,
  });
  return { sim, table, runs, loop, setHolding: (token: number | null) => holding = token };
}

Deno.test("fire loop: each fire once, in order, on time, recorded done", async () => {
  const { sim, table, runs, loop } = setup();
  void loop.start(1);
  await sim.advance(10_200);
  assert.deepEqual(runs.map((r) => r.at - T), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((s) => s * 1000));
  assert.ok(runs.every((r) => r.started === r.at), "run at its time");
  assert.deepEqual([...table.rows.values()].map((r) => r.state), Array(10).fill("done"));
  loop.stop();
  await sim.advance(5_000);
  assert.equal(runs.length, 10, "nothing after stop");
  assert.equal(loop.running, false);
});

Deno.test("fire loop: catch-up after a stop across five fires runs 0, 1 or 5", async () => {
  for (const [mode, expected] of [["skip", 0], ["once", 1], ["all", 5]] as const) {
    const table = new Table();
    table.rows.set(T - 5_000, { token: 0, state: "done" }); // the last fire before the stop
    const { sim, runs, loop } = setup({ catchUp: mode, table });
    void loop.start(1);
    await sim.advance(100);
    assert.equal(runs.filter((r) => r.catchUp).length, expected, mode);
    await sim.advance(2_000);
    assert.deepEqual(runs.filter((r) => !r.catchUp).map((r) => r.at - T), [1_000, 2_000], mode);
    loop.stop();
  }
});

Deno.test("fire loop: a fire that falls due while catch-up runs is run, not skipped", async () => {
  const table = new Table();
  table.rows.set(T - 5_000, { token: 0, state: "done" });
  // Five catch-up runs of 300 ms each: the fire of T+1000 falls due meanwhile.
  const { sim, runs, loop } = setup({ catchUp: "all", table, runMs: 300 });
  void loop.start(1);
  await sim.advance(4_000);
  assert.deepEqual(
    runs.map((r) => r.at - T),
    [-4_000, -3_000, -2_000, -1_000, 0, 1_000, 2_000, 3_000, 4_000],
    "every fire once, none skipped",
  );
  assert.deepEqual(runs.filter((r) => r.catchUp).map((r) => r.at - T), [
    -4_000,
    -3_000,
    -2_000,
    -1_000,
    0,
  ], "the two that fell due meanwhile run late, not as catch-up");
  loop.stop();
});

Deno.test("fire loop: a run longer than the period skips the fires it overlaps", async () => {
  const { sim, runs, loop } = setup({ runMs: 2_500 });
  void loop.start(1);
  await sim.advance(10_000);
  assert.deepEqual(runs.map((r) => r.at - T), [1_000, 4_000, 7_000, 10_000]);
  loop.stop();
});

Deno.test("fire loop: a fenced claim or a lost holding ends it; a fire already recorded is not run", async () => {
  const { sim, table, runs, loop, setHolding } = setup();
  void loop.start(1);
  await sim.advance(1_100);
  table.rows.set(T + 2_000, { token: 1, state: "done" }); // recorded meanwhile (a former run)
  await sim.advance(2_000);
  assert.deepEqual(runs.map((r) => r.at - T), [1_000, 3_000]);
  table.current = 2; // another host took over
  await sim.advance(3_000);
  assert.equal(runs.length, 2);
  assert.equal(loop.running, false);
  table.current = 1;
  void loop.start(1);
  await sim.advance(1_000);
  assert.equal(runs.length, 3);
  setHolding(null); // the keeper gave up
  await sim.advance(3_000);
  assert.equal(runs.length, 3);
  assert.equal(loop.running, false);
});

Deno.test("fire loop: while the database is away no fire runs; after, the loop goes on", async () => {
  const { sim, table, runs, loop } = setup();
  void loop.start(1);
  await sim.advance(2_100);
  table.down = true;
  await sim.advance(3_000);
  assert.equal(runs.length, 2, "claims fail: nothing runs");
  table.down = false;
  await sim.advance(2_000);
  assert.deepEqual(runs.map((r) => r.at - T), [1_000, 2_000, 6_000, 7_000]);
  loop.stop();
});
