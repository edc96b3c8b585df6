// The lease keeper as a state machine, on a simulated world: one monotonic
// time shared by the hosts and the database, hosts that can be paused (their
// timers and the replies they would read wait until they resume), and an
// in-memory lease table that computes expiries on the database's clock when
// a statement ARRIVES. Statements take time on the way there and back.
import assert from "node:assert/strict";
import type { Acquisition, Renewal } from "../../src/cluster/leases.ts";
import {
  type KeeperClock,
  LeaseKeeper,
  type LeaseOps,
  type LoseReason,
} from "../../src/cluster/lease_keeper.ts";

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
  readonly proc: Proc | null;
}

/** Simulated time: timers fire in order; a paused host's timers wait for its resume. */
class World {
  now = 1_000;
  #timers: Timer[] = [];
  #next = 1;

  add(at: number, fn: () => void, proc: Proc | null): number {
    const id = this.#next++;
    this.#timers.push({ id, at, fn, proc });
    return id;
  }

  cancel(id: number): void {
    this.#timers = this.#timers.filter((timer) => timer.id !== id);
  }

  /** Moves time on by `ms`, firing due timers (and the promise reactions they cause) in order. */
  async advance(ms: number, check: () => void = () => {}): Promise<void> {
    const end = this.now + ms;
    await new Promise((resolve) => setTimeout(resolve, 0)); // statements begun just before
    while (true) {
      const due = this.#timers.filter((t) => t.at <= end && !(t.proc?.paused ?? false))
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((timer) => timer !== due);
      this.now = Math.max(this.now, due.at);
      check();
      due.fn();
      await new Promise((resolve) => setTimeout(resolve, 0)); // let promise reactions run
      check();
    }
    this.now = end;
    check();
  }
}

/** A host: its clock and timers; while paused, nothing of it runs. */
class Proc {
  paused = false;
  constructor(readonly world: World) {}

  clock(): KeeperClock {
    return {
      monotonic: () => this.world.now,
      setTimer: (fn, ms) => this.world.add(this.world.now + ms, fn, this),
      cancel: (id) => this.world.cancel(id as number),
    };
  }

  /** Resumes: timers that fell due meanwhile fire late, at once. */
  resume(): void {
    this.paused = false;
  }
}

/** Latencies of one statement: to the database, and back. */
interface Trip {
  up: number;
  down: number;
}

/** The lease table, on the database's clock (the world's time). */
class FakeLeaseDb {
  lease: { holder: string; token: number; expiresAt: number } | null = null;
  down = false;
  #token = 0;
  refusedRenewals = 0;
  constructor(readonly world: World) {}

  valid(): boolean {
    return this.lease !== null && this.lease.expiresAt > this.world.now;
  }

  /** Another host takes the lease behind everyone's back (as a manual takeover would). */
  steal(holder: string, leaseMs: number): void {
    this.lease = { holder, token: ++this.#token, expiresAt: this.world.now + leaseMs };
  }

  /** The operations of host `proc` named `node`, with its statements' `trip`. */
  ops(proc: Proc, node: string, leaseMs: number, trip: () => Trip): LeaseOps {
    const call = <T>(work: () => T): Promise<T> =>
      new Promise((resolve, reject) => {
        const { up, down } = trip();
        this.world.add(this.world.now + up, () => {
          if (this.down) {
            this.world.add(this.world.now + down, () => reject(new Error("unavailable")), proc);
            return;
          }
          const result = work();
          this.world.add(this.world.now + down, () => resolve(result), proc);
        }, null);
      });
    return {
      acquire: () =>
        call((): Acquisition => {
          const now = this.world.now;
          if (this.valid()) {
            return {
              acquired: false,
              holder: this.lease!.holder,
              remainingMs: this.lease!.expiresAt - now,
              dbNow: now,
            };
          }
          this.lease = { holder: node, token: ++this.#token, expiresAt: now + leaseMs };
          return { acquired: true, token: this.#token, dbNow: now };
        }),
      renew: (token) =>
        call((): Renewal => {
          if (!this.valid() || this.lease!.token !== token) {
            this.refusedRenewals++;
            return { renewed: false };
          }
          this.lease!.expiresAt = this.world.now + leaseMs;
          return { renewed: true, dbNow: this.world.now };
        }),
      release: (token) =>
        call(() => {
          if (!this.valid() || this.lease!.token !== token) return false;
          this.lease!.expiresAt = this.world.now;
          return true;
        }),
    };
  }
}

const LEASE = 10_000;
const fixed = (up: number, down = up) => () => ({ up, down });

function host(world: World, db: FakeLeaseDb, node: string, trip = fixed(5)) {
  const proc = new Proc(world);
  const log: { event: string; at: number; token: number; reason?: LoseReason }[] = [];
  const keeper = new LeaseKeeper(proc.clock(), db.ops(proc, node, LEASE, trip), {
    onHold: (token) => log.push({ event: "hold", at: world.now, token }),
    onLose: (token, reason) => void log.push({ event: "lose", at: world.now, token, reason }),
  }, { leaseMs: LEASE });
  return { proc, keeper, log };
}

Deno.test("keeper: a holder renews every third of the lease and keeps it", async () => {
  const world = new World();
  const db = new FakeLeaseDb(world);
  let renewals = 0;
  const proc = new Proc(world);
  const ops = db.ops(proc, "a", LEASE, fixed(5));
  const counted: LeaseOps = { ...ops, renew: (t) => (renewals++, ops.renew(t)) };
  const log: string[] = [];
  const keeper = new LeaseKeeper(proc.clock(), counted, {
    onHold: () => log.push("hold"),
    onLose: () => void log.push("lose"),
  }, { leaseMs: LEASE });
  keeper.start();
  await world.advance(60_000);
  assert.deepEqual(log, ["hold"]);
  assert.ok(renewals >= 17 && renewals <= 18, `${renewals} renewals in 60 s`);
  assert.equal(keeper.holding(), db.lease!.token);
  assert.throws(() =>
    new LeaseKeeper(proc.clock(), ops, { onHold() {}, onLose() {} }, {
      leaseMs: 1000,
      renewEveryMs: 900,
      stopMarginMs: 200,
    }), RangeError);
});

Deno.test("keeper: a refused renewal stops the holder at once", async () => {
  const world = new World();
  const db = new FakeLeaseDb(world);
  const a = host(world, db, "a");
  a.keeper.start();
  await world.advance(1_000);
  db.steal("intruder", LEASE);
  const stolenAt = world.now;
  await world.advance(5_000);
  const lose = a.log.find((e) => e.event === "lose")!;
  assert.equal(lose.reason, "refused");
  assert.ok(lose.at - stolenAt <= LEASE / 3 + 20, `stopped ${lose.at - stolenAt} ms after`);
  assert.equal(a.keeper.holding(), null);
  assert.equal(a.keeper.state, "standby");
  assert.equal(a.keeper.status().otherHolder, "intruder");
});

Deno.test("keeper: cut off from the database, the holder stops before the lease can pass", async () => {
  for (const hang of [false, true]) {
    const world = new World();
    const db = new FakeLeaseDb(world);
    const trip = { up: 5, down: 5 };
    const a = host(world, db, "a", () => trip);
    const b = host(world, db, "b");
    a.keeper.start();
    await world.advance(100);
    b.keeper.start();
    await world.advance(7_000);
    if (hang) trip.up = 1e9; // statements never arrive
    else db.down = true; // statements fail
    const expiresAt = db.lease!.expiresAt;
    await world.advance(3 * LEASE);
    const lose = a.log.find((e) => e.event === "lose")!;
    assert.equal(lose.reason, "deadline");
    assert.ok(lose.at <= expiresAt - 2_000, `a stopped at ${lose.at}, lease ran to ${expiresAt}`);
    if (hang) {
      const hold = b.log.find((e) => e.event === "hold")!;
      assert.ok(hold.at >= expiresAt && hold.at <= expiresAt + 1_000, `b took over at ${hold.at}`);
    } else {
      assert.deepEqual(b.log, [], "nobody can take it while the database is down");
      db.down = false;
      await world.advance(LEASE);
      assert.equal(a.log.filter((e) => e.event === "hold").length + b.log.length, 2, "one took it");
    }
  }
});

Deno.test("keeper: a renewal answered after the deadline is not believed, and is given back", async () => {
  const world = new World();
  const db = new FakeLeaseDb(world);
  const trip = { up: 5, down: 5 };
  const a = host(world, db, "a", () => trip);
  a.keeper.start();
  await world.advance(4_000);
  trip.down = 9_000; // the next answer crawls back
  await world.advance(30_000);
  const lose = a.log.find((e) => e.event === "lose")!;
  assert.equal(lose.reason, "deadline");
  // The database renewed it, but the keeper handed it back once the late answer came.
  assert.ok(!db.valid() || db.lease!.holder !== "a" || db.lease!.token !== lose.token);
});

Deno.test("keeper: a paused holder wakes late, holds nothing, and its late renewal is refused", async () => {
  const world = new World();
  const db = new FakeLeaseDb(world);
  const trip = { up: 5, down: 5 };
  const a = host(world, db, "a", () => trip);
  const b = host(world, db, "b");
  a.keeper.start();
  await world.advance(50);
  b.keeper.start();
  const tokenA = a.keeper.holding()!;
  trip.up = 20_000; // a's next renewal is held up on the way (a stalled network)
  await world.advance(3_400); // a sent it
  a.proc.paused = true; // then a itself is paused (SIGSTOP)
  await world.advance(30_000);
  const hold = b.log.find((e) => e.event === "hold")!;
  assert.ok(hold.token > tokenA, "b took over with a newer token");
  assert.ok(db.refusedRenewals >= 1, "the late renewal landed and was refused by token");
  a.proc.resume();
  // Before any of its timers runs, a knows it holds nothing.
  assert.equal(a.keeper.holding(), null);
  trip.up = 5;
  await world.advance(1_000);
  assert.equal(a.log.at(-1)!.event, "lose");
  assert.equal(b.keeper.holding(), hold.token);
  assert.equal(db.lease!.holder, "b");
});

Deno.test("keeper: a normal stop releases the lease and a poked standby takes it at once", async () => {
  const world = new World();
  const db = new FakeLeaseDb(world);
  const a = host(world, db, "a");
  const b = host(world, db, "b");
  a.keeper.start();
  await world.advance(50);
  b.keeper.start();
  await world.advance(2_000);
  const stopping = a.keeper.stop();
  await world.advance(20);
  await stopping;
  assert.deepEqual(a.log.map((e) => [e.event, e.reason]), [["hold", undefined], [
    "lose",
    "stopped",
  ]]);
  const stoppedAt = world.now;
  b.keeper.poke();
  await world.advance(100);
  assert.ok(b.keeper.holding() !== null);
  assert.ok(b.log[0].at - stoppedAt < 50);
  assert.equal(a.keeper.state, "stopped");
});

Deno.test("keeper: with pauses, outages and slow statements, never two holders, and a holder the database agrees with", async () => {
  for (let seed = 1; seed <= 4; seed++) {
    let state = seed * 7919;
    const random = () => (state = (state * 48271) % 2147483647) / 2147483647;
    const world = new World();
    const db = new FakeLeaseDb(world);
    const slow = () => ({
      up: 1 + random() * (random() < 0.05 ? 6_000 : 50),
      down: 1 + random() * 50,
    });
    const hosts = ["a", "b", "c"].map((node) => host(world, db, node, slow));
    for (const h of hosts) h.keeper.start();
    let held = 0;
    const check = () => {
      const holding = hosts.map((h) => h.keeper.holding()).filter((t) => t !== null);
      assert.ok(holding.length <= 1, `seed ${seed}: two holders at ${world.now}`);
      if (holding.length === 1) {
        held++;
        assert.ok(db.valid() && db.lease!.token === holding[0], `seed ${seed}: stale holder`);
      }
    };
    for (let step = 0; step < 60; step++) {
      const h = hosts[Math.floor(random() * 3)];
      const roll = random();
      if (roll < 0.15) h.proc.paused = true;
      else if (roll < 0.4) h.proc.resume();
      else if (roll < 0.47) db.down = !db.down;
      await world.advance(500 + random() * 4_000, check);
    }
    assert.ok(held > 0, `seed ${seed}: someone held at times`);
  }
});

Deno.test("keeper: the deadline counts from when a renewal was sent, not from its answer", async () => {
  const world = new World();
  const db = new FakeLeaseDb(world);
  const trip = { up: 5, down: 5 };
  const proc = new Proc(world);
  const log: { event: string; at: number }[] = [];
  // A thin margin, so that only the choice of the starting point keeps the holder safe.
  const a = new LeaseKeeper(proc.clock(), db.ops(proc, "a", LEASE, () => ({ ...trip })), {
    onHold: () => log.push({ event: "hold", at: world.now }),
    onLose: () => void log.push({ event: "lose", at: world.now }),
  }, { leaseMs: LEASE, stopMarginMs: 100 });
  const b = host(world, db, "b");
  a.start();
  await world.advance(50);
  b.keeper.start();
  await world.advance(3_000);
  trip.down = 3_000; // the next renewal lands at once but its answer crawls back
  await world.advance(3_500);
  trip.up = 1e9; // then a is cut off
  const expiresAt = db.lease!.expiresAt;
  await world.advance(3 * LEASE, () => {
    const holders = [a.holding(), b.keeper.holding()].filter((t) => t !== null);
    assert.ok(holders.length <= 1, `two holders at ${world.now}`);
  });
  const lose = log.find((e) => e.event === "lose")!;
  assert.ok(lose.at <= expiresAt, `a stopped at ${lose.at}, its lease ran to ${expiresAt}`);
  assert.ok(b.keeper.holding() !== null);
});

Deno.test("keeper: the lease is released, and tried for again, only once the workers stopped", async () => {
  const world = new World();
  const db = new FakeLeaseDb(world);
  const proc = new Proc(world);
  let workersStopped = () => {};
  const events: string[] = [];
  const a = new LeaseKeeper(proc.clock(), db.ops(proc, "a", LEASE, fixed(5)), {
    onHold: () => void events.push(`hold@${world.now}`),
    onLose: (_token, reason) => {
      events.push(`lose:${reason}`);
      return new Promise<void>((resolve) => workersStopped = resolve);
    },
  }, { leaseMs: LEASE });
  a.start();
  await world.advance(1_000);
  db.down = true;
  await world.advance(LEASE);
  assert.deepEqual(events, ["hold@1010", "lose:deadline"]);
  db.down = false;
  await world.advance(3 * LEASE);
  assert.equal(events.length, 2, "no new try while its workers still stop");
  const stoppedAt = world.now;
  workersStopped();
  await world.advance(2_000);
  assert.equal(events.length, 3);
  assert.ok(Number(events[2].slice(5)) - stoppedAt <= 1_100, events[2]);
  // A normal stop hands the lease on only after the workers stopped.
  const b = host(world, db, "b");
  b.keeper.start();
  await world.advance(100);
  const stopping = a.stop();
  await world.advance(5_000);
  b.keeper.poke();
  await world.advance(100);
  assert.equal(b.keeper.holding(), null, "still a's while its workers stop");
  workersStopped();
  await world.advance(100);
  await stopping;
  b.keeper.poke();
  await world.advance(100);
  assert.ok(b.keeper.holding() !== null);
});
