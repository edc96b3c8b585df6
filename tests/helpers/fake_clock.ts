// A clock and timers for unit tests of state machines: time moves only when
// the test says, so a day of ticks runs in microseconds.
import type { TickClock } from "../../src/tasks/ticker.ts";

/** Fake wall and monotonic clocks with timers that fire as time is advanced. */
export class FakeClock implements TickClock {
  #wall: number;
  #mono = 1_000;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #nextId = 1;

  /** Starts the wall clock at `wall` (ms since the epoch). */
  constructor(wall: number) {
    this.#wall = wall;
  }

  wall(): number {
    return this.#wall;
  }

  monotonic(): number {
    return this.#mono;
  }

  setTimer(fn: () => void, ms: number): number {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#mono + ms, fn });
    return id;
  }

  cancel(timer: unknown): void {
    this.#timers.delete(timer as number);
  }

  /** How many timers are armed. */
  get armed(): number {
    return this.#timers.size;
  }

  /** Moves both clocks on by `ms`, firing each timer at its time, in order. */
  advance(ms: number): void {
    const end = this.#mono + ms;
    while (true) {
      const due = [...this.#timers].filter(([, t]) =>
        t.at <= end
      ).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.#wall += due[1].at - this.#mono;
      this.#mono = due[1].at;
      due[1].fn();
    }
    this.#wall += end - this.#mono;
    this.#mono = end;
  }

  /** Steps the wall clock alone by `ms` (NTP, an operator), as `date -s` would. */
  step(ms: number): void {
    this.#wall += ms;
  }
}
