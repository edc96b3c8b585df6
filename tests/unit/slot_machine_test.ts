// The per-slot state machine, driven by a fake clock and fake workers: the
// stop rule, restart policy, creation failures, stale events, and every
// interleaving fast-check can find never leaves two live workers or an orphan.
import assert from "node:assert/strict";
import fc from "fast-check";
import type { WorkerState } from "../../src/host/worker_table.ts";
import type { ErrorInfo } from "../../src/shared/messages.ts";
import type { Ending, RestartDecision } from "../../src/tasks/restart_policy.ts";
import {
  type DropReason,
  type Made,
  type SlotClock,
  SlotMachine,
  STOP_ACK_MS,
} from "../../src/tasks/slot_machine.ts";

/** Timers that run only when the test advances time. */
class FakeClock implements SlotClock {
  time = 1_000_000;
  #timers: { at: number; fire: () => void }[] = [];

  now(): number {
    return this.time;
  }

  after(ms: number, fire: () => void): () => void {
    const timer = { at: this.time + ms, fire };
    this.#timers.push(timer);
    return () => this.#timers = this.#timers.filter((t) => t !== timer);
  }

  advance(ms: number): void {
    const end = this.time + ms;
    while (true) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.time = due.at;
      due.fire();
    }
    this.time = end;
  }
}

interface FakeWorker {
  readonly id: number;
  terminated: DropReason | null;
  signalled: number;
}

/** Everything a slot does to the world, recorded; creation requests wait for `make`. */
class World {
  readonly clock = new FakeClock();
  readonly workers: FakeWorker[] = [];
  readonly states: { state: WorkerState; error?: string }[] = [];
  readonly endings: Ending[] = [];
  requests: { done: (made: Made<FakeWorker>) => void; withdrawn: boolean }[] = [];
  decision: RestartDecision = { kind: "stay" };
  /** When false, a withdrawn request is still answered (a late creation). */
  honourWithdraw = true;
  readonly machine = new SlotMachine<FakeWorker>({
    clock: this.clock,
    create: (done) => {
      const request = { done, withdrawn: false };
      this.requests.push(request);
      return () => request.withdrawn = true;
    },
    signal: (worker) => worker.signalled++,
    terminate: (worker, why) => {
      assert.equal(worker.terminated, null, `worker ${worker.id} terminated twice`);
      worker.terminated = why;
    },
    show: (state, error) => this.states.push({ state, error }),
    decide: (ending: Ending, _upMs: number, _error?: ErrorInfo) => {
      this.endings.push(ending);
      return this.decision;
    },
  });

  /** Answers the oldest creation request: a worker, or a failure. */
  make(ok = true): FakeWorker | null {
    const index = this.requests.findIndex((r) => !r.withdrawn || !this.honourWithdraw);
    if (index < 0) return null;
    const [request] = this.requests.splice(index, 1);
    if (!ok) {
      request.done({ error: { name: "Error", message: "cannot start a worker: no threads" } });
      return null;
    }
    const worker: FakeWorker = { id: this.workers.length, terminated: null, signalled: 0 };
    this.workers.push(worker);
    request.done({ worker });
    return worker;
  }

  /** Workers not terminated. */
  get live(): FakeWorker[] {
    return this.workers.filter((w) => w.terminated === null);
  }

  get lastState(): WorkerState | undefined {
    return this.states.at(-1)?.state;
  }

  /** The invariant: at most one live worker, and it is the machine's. */
  check(): void {
    const live = this.live;
    assert.ok(live.length <= 1, `${live.length} live workers`);
    assert.equal(live[0] ?? null, this.machine.worker, "every live worker is the slot's own");
    const hasWorker = this.machine.phase === "live" || this.machine.phase === "stopping";
    assert.equal(this.machine.worker !== null, hasWorker, `phase ${this.machine.phase}`);
  }
}

/** A world whose slot runs its function in worker 0. */
function running(): { world: World; worker: FakeWorker } {
  const world = new World();
  world.machine.start();
  const worker = world.make()!;
  world.machine.loaded(worker);
  world.machine.entered(worker);
  assert.equal(world.lastState, "running");
  return { world, worker };
}

Deno.test("stop rule: a function that never read KSR.shutdown is terminated on its ack", async () => {
  const { world, worker } = running();
  const stopped = world.machine.stop(5000);
  assert.equal(worker.signalled, 1);
  assert.equal(world.machine.phase, "stopping");
  world.clock.advance(3);
  world.machine.acknowledged(worker, false);
  await stopped;
  assert.equal(worker.terminated, "done");
  assert.equal(world.machine.phase, "idle");
  assert.equal(world.lastState, "stopped");
});

Deno.test("stop rule: one that read it gets its grace, and is terminated when it ends", async () => {
  const { world, worker } = running();
  const stopped = world.machine.stop(5000);
  world.machine.acknowledged(worker, true);
  world.clock.advance(4000);
  assert.equal(worker.terminated, null, "still within its grace");
  world.machine.ended(worker, "returned");
  await stopped;
  assert.equal(worker.terminated, "done");
  assert.deepEqual(world.endings, [], "an ending after a stop is not a policy matter");
});

Deno.test("stop rule: past its grace, a watching function is terminated as late", async () => {
  const { world, worker } = running();
  const stopped = world.machine.stop(2000);
  world.machine.acknowledged(worker, true);
  world.clock.advance(1999);
  assert.equal(worker.terminated, null);
  world.clock.advance(1);
  await stopped;
  assert.equal(worker.terminated, "late");
});

Deno.test("stop rule: no ack within STOP_ACK_MS is stuck, terminated at once", async () => {
  const { world, worker } = running();
  const stopped = world.machine.stop(60_000);
  world.clock.advance(STOP_ACK_MS - 1);
  assert.equal(worker.terminated, null);
  world.clock.advance(1);
  await stopped;
  assert.equal(worker.terminated, "stuck");
  world.machine.acknowledged(worker, true); // too late: ignored
  world.machine.ended(worker, "returned");
  assert.equal(world.machine.phase, "idle");
});

Deno.test("a worker still loading, waiting, or whose function ended is stopped without a signal", () => {
  const world = new World();
  world.machine.start();
  const loading = world.make()!;
  world.machine.stop(5000);
  assert.equal(loading.signalled, 0);
  assert.equal(loading.terminated, "done");
  world.machine.start();
  const ended = world.make()!;
  world.machine.entered(ended);
  world.machine.ended(ended, "returned");
  assert.equal(world.machine.phase, "live", "a returned function's worker idles (Kamailio)");
  assert.equal(world.lastState, "returned");
  world.machine.restart(5000);
  assert.equal(ended.terminated, "done");
  assert.equal(world.machine.phase, "queued");
});

Deno.test("restart during a restart (the reload + restart pair): one new worker, no orphan", async () => {
  const { world, worker } = running();
  const first = world.machine.restart(5000);
  const second = world.machine.restart(5000);
  world.check();
  world.machine.acknowledged(worker, true);
  world.clock.advance(300);
  world.machine.ended(worker, "returned");
  await Promise.all([first, second]);
  assert.equal(world.requests.length, 1, "one creation asked for");
  world.make();
  world.check();
  assert.equal(world.live.length, 1);
});

Deno.test("a stop after a restart wins; a start after a stop wins", async () => {
  const { world, worker } = running();
  const restart = world.machine.restart(5000);
  const stop = world.machine.stop(5000);
  world.machine.acknowledged(worker, false);
  await Promise.all([restart, stop]);
  assert.equal(world.machine.phase, "idle");
  assert.equal(world.requests.length, 0);

  const again = running();
  const stopped = again.world.machine.stop(5000);
  again.world.machine.start();
  again.world.machine.acknowledged(again.worker, false);
  await stopped;
  assert.equal(again.world.machine.phase, "queued");
});

Deno.test("policy: a restart waits out its backoff; a stop meanwhile cancels it", () => {
  const { world, worker } = running();
  world.decision = { kind: "restart", delayMs: 400 };
  world.machine.ended(worker, "threw", { name: "Error", message: "boom" });
  assert.deepEqual(world.states.slice(-2), [
    { state: "failed", error: "boom" },
    { state: "backoff", error: undefined },
  ]);
  assert.equal(worker.terminated, "done");
  world.clock.advance(399);
  assert.equal(world.requests.length, 0);
  world.clock.advance(1);
  assert.equal(world.machine.phase, "queued");
  world.make();

  world.machine.ended(world.machine.worker!, "crashed");
  assert.equal(world.machine.phase, "backoff");
  world.machine.stop(5000);
  world.clock.advance(10_000);
  assert.equal(world.machine.phase, "idle");
  assert.equal(world.requests.length, 0, "the timer created nothing");
});

Deno.test("a worker that cannot be created fails its slot with the reason and gets the policy", () => {
  const world = new World();
  world.decision = { kind: "restart", delayMs: 100 };
  world.machine.start();
  world.make(false);
  assert.equal(world.endings[0], "crashed");
  assert.deepEqual(world.states.at(-2), {
    state: "failed",
    error: "cannot start a worker: no threads",
  });
  assert.equal(world.machine.phase, "backoff");
  world.decision = { kind: "stay" };
  world.clock.advance(100);
  world.make(false);
  assert.equal(world.machine.phase, "idle");
  assert.equal(world.lastState, "failed");
  world.machine.start();
  assert.ok(world.make());
  world.check();
});

Deno.test("give-up drops a restart waiting in backoff", () => {
  const { world, worker } = running();
  world.decision = { kind: "restart", delayMs: 100 };
  world.machine.ended(worker, "threw");
  world.machine.giveUp();
  assert.equal(world.lastState, "failed");
  world.clock.advance(1000);
  assert.equal(world.requests.length, 0);
});

Deno.test("events of an old worker change nothing; a late creation is terminated", () => {
  const { world, worker: old } = running();
  world.machine.restart(5000);
  world.machine.acknowledged(old, false);
  const fresh = world.make()!;
  world.machine.ended(old, "crashed");
  world.machine.entered(old);
  assert.equal(world.machine.worker, fresh);
  assert.deepEqual(world.endings, []);

  world.honourWithdraw = false;
  world.machine.stop(5000);
  world.machine.start();
  world.machine.stop(5000); // withdraws the request, which the world answers anyway
  const late = world.make()!;
  assert.equal(late.terminated, "done");
  world.check();
});

Deno.test("terminate ends everything at once and settles a pending stop", async () => {
  const { world, worker } = running();
  const stopped = world.machine.stop(60_000);
  world.machine.acknowledged(worker, true);
  world.machine.terminate();
  await stopped;
  assert.equal(worker.terminated, "done");
  assert.equal(world.lastState, "stopped");
  world.clock.advance(120_000);
  world.check();
});

type Op =
  | { op: "start" | "stop" | "restart" | "giveUp" | "terminate" }
  | { op: "make"; ok: boolean }
  | { op: "loaded" | "entered"; stale: boolean }
  | { op: "ended"; ending: Ending; stale: boolean }
  | { op: "ack"; watched: boolean; stale: boolean }
  | { op: "advance"; ms: number }
  | { op: "policy"; decision: RestartDecision };

const stale = fc.boolean();
const anOp: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constantFrom<Op>({ op: "start" }, { op: "stop" }, { op: "restart" }), weight: 6 },
  { arbitrary: fc.constantFrom<Op>({ op: "giveUp" }, { op: "terminate" }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("make" as const), ok: fc.boolean() }), weight: 3 },
  {
    arbitrary: fc.record({ op: fc.constantFrom("loaded" as const, "entered" as const), stale }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("ended" as const),
      ending: fc.constantFrom<Ending>("returned", "threw", "crashed"),
      stale,
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ op: fc.constant("ack" as const), watched: fc.boolean(), stale }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("advance" as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 0, max: 6000 })),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("policy" as const),
      decision: fc.constantFrom<RestartDecision>(
        { kind: "stay" },
        { kind: "restart", delayMs: 100 },
        { kind: "give-up", restarts: 5 },
      ),
    }),
    weight: 1,
  },
);

Deno.test("any interleaving: at most one live worker, never an orphan, and a stop ends all", () => {
  fc.assert(
    fc.property(
      fc.array(anOp, { minLength: 10, maxLength: 60, size: "max" }),
      fc.boolean(),
      (ops, honour) => {
        const world = new World();
        world.honourWithdraw = honour;
        const { machine } = world;
        for (const step of ops) {
          const target = "stale" in step && step.stale
            ? world.workers[0] ?? machine.worker
            : machine.worker;
          switch (step.op) {
            case "start":
            case "giveUp":
            case "terminate":
              machine[step.op]();
              break;
            case "stop":
            case "restart":
              machine[step.op](5000);
              break;
            case "make":
              world.make(step.ok);
              break;
            case "loaded":
            case "entered":
              if (target) machine[step.op](target);
              break;
            case "ended":
              if (target) machine.ended(target, step.ending);
              break;
            case "ack":
              if (target) machine.acknowledged(target, step.watched);
              break;
            case "advance":
              world.clock.advance(step.ms);
              break;
            case "policy":
              world.decision = step.decision;
          }
          world.check();
        }
        machine.stop(5000);
        world.clock.advance(10_000);
        while (world.make()) world.check();
        world.check();
        assert.equal(world.live.length, 0, "a stop leaves no live worker");
        assert.equal(machine.phase, "idle");
      },
    ),
    { numRuns: 2000 },
  );
});
