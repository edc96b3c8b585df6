// The debouncer of --watch, driven by a fake clock: bursts make one batch,
// batches never overlap, and a stop drops what is pending.
import assert from "node:assert/strict";
import { ChangeDebouncer, type DebounceTimers } from "../../src/dev/debounce.ts";

/** A clock that runs only when told to. */
class FakeClock implements DebounceTimers {
  now = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;

  set(fn: () => void, ms: number): number {
    this.#timers.set(this.#next, { at: this.now + ms, fn });
    return this.#next++;
  }

  clear(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, firing what falls due, in order. */
  advance(ms: number): void {
    const end = this.now + ms;
    while (true) {
      const due = [...this.#timers].filter(([, t]) =>
        t.at <= end
      ).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }

  get pending(): number {
    return this.#timers.size;
  }
}

function setup() {
  const clock = new FakeClock();
  const batches: string[][] = [];
  const ends: (() => void)[] = [];
  const debouncer = new ChangeDebouncer(100, (changed) => {
    batches.push(changed);
    return new Promise<void>((resolve) => ends.push(resolve));
  }, clock);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { clock, batches, ends, debouncer, settle };
}

Deno.test("debounce: a burst of changes within the quiet time is one batch", () => {
  const { clock, batches, debouncer } = setup();
  debouncer.note("/a.ts");
  clock.advance(60);
  debouncer.note("/b.ts");
  clock.advance(60);
  debouncer.note("/a.ts");
  clock.advance(99);
  assert.equal(batches.length, 0, "the quiet time starts again at each change");
  clock.advance(1);
  assert.deepEqual(batches, [["/a.ts", "/b.ts"]]);
  assert.ok(debouncer.running);
});

Deno.test("debounce: changes during a flush wait for it, then make the next batch", async () => {
  const { clock, batches, ends, debouncer, settle } = setup();
  debouncer.note("/a.ts");
  clock.advance(100);
  debouncer.note("/b.ts");
  clock.advance(500);
  assert.equal(batches.length, 1, "no second flush while the first runs");
  assert.deepEqual(debouncer.pending, ["/b.ts"]);
  ends[0]();
  await settle();
  assert.equal(batches.length, 1, "a quiet time after the flush first");
  clock.advance(100);
  assert.deepEqual(batches, [["/a.ts"], ["/b.ts"]]);
  ends[1]();
  await settle();
  assert.equal(debouncer.running, false);
  assert.equal(clock.pending, 0, "nothing left to do");
});

Deno.test("debounce: a failing flush does not stop later batches", async () => {
  const clock = new FakeClock();
  const batches: string[][] = [];
  const debouncer = new ChangeDebouncer(100, (changed) => {
    batches.push(changed);
    return Promise.reject(new Error("broken"));
  }, clock);
  debouncer.note("/a.ts");
  clock.advance(100);
  await new Promise((resolve) => setTimeout(resolve, 0));
  debouncer.note("/a.ts");
  clock.advance(100);
  assert.deepEqual(batches, [["/a.ts"], ["/a.ts"]]);
});

Deno.test("debounce: stop drops pending changes and ignores later ones", () => {
  const { clock, batches, debouncer } = setup();
  debouncer.note("/a.ts");
  debouncer.stop();
  debouncer.note("/b.ts");
  clock.advance(1000);
  assert.equal(batches.length, 0);
  assert.equal(clock.pending, 0);
});
