/**
 * A worker lifecycle in a fake world for unit tests: a clock that moves only when
 * told, workers that are plain records, and every port call recorded.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { WorkerState } from "../../src/spawn/worker_states.ts";
import type { ErrorInfo } from "../../src/shared/messages.ts";
import type { Ending, RestartDecision } from "../../src/tasks/restart_policy.ts";
import {
  type DropReason,
  type LifecycleClock,
  type Made,
  WorkerLifecycle,
} from "../../src/tasks/worker_lifecycle.ts";

/** Timers that run only when the test advances time. */
export class FakeClock implements LifecycleClock {
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

  /** Moves time on without firing anything: the thread was busy. */
  block(ms: number): void {
    this.time += ms;
  }

  /** Fires the timers due now, not those they add. */
  fireDue(): void {
    const due = this.#timers.filter((t) => t.at <= this.time);
    this.#timers = this.#timers.filter((t) => t.at > this.time);
    for (const timer of due) timer.fire();
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

export interface FakeWorker {
  readonly id: number;
  terminated: DropReason | null;
  signalled: number;
}

/** Everything a slot does to the world, recorded; creation requests wait for `make`. */
export class World {
  readonly clock = new FakeClock();
  readonly workers: FakeWorker[] = [];
  readonly states: { state: WorkerState; error?: string }[] = [];
  readonly endings: Ending[] = [];
  requests: { done: (made: Made<FakeWorker>) => void; withdrawn: boolean }[] = [];
  decision: RestartDecision = { kind: "stay" };
  /** When false, a withdrawn request is still answered (a late creation). */
  honourWithdraw = true;
  readonly machine = new WorkerLifecycle<FakeWorker>({
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
export function running(): { world: World; worker: FakeWorker } {
  const world = new World();
  world.machine.start();
  const worker = world.make()!;
  world.machine.loaded(worker);
  world.machine.entered(worker);
  assert.equal(world.lastState, "running");
  return { world, worker };
}
