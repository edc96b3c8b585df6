// The paced creator: one creation per event-loop turn, in order, never inside
// the call that asks; withdrawn requests skipped; a throwing `new Worker()`
// becomes an error for its requester, never an exception.
import assert from "node:assert/strict";
import type { WorkerHandle } from "../../src/spawn/handle.ts";
import { type Creation, WorkerPacer } from "../../src/spawn/pacer.ts";
import type { InitMessage } from "../../src/shared/messages.ts";

/** Turns that pass only when the test says so. */
function turns() {
  const waiting: (() => void)[] = [];
  return {
    turn: () => new Promise<void>((resolve) => waiting.push(resolve)),
    async pass(): Promise<void> {
      waiting.shift()?.();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    },
    get waiting() {
      return waiting.length;
    },
  };
}

const init = (index: number): InitMessage => ({
  type: "init",
  role: "exec",
  scriptUrl: "file:///none.ts",
  task: "t",
  index,
  logLevel: "info",
});
const events = { message() {}, crash() {} };

Deno.test("pacer: one creation per turn, in order, none inside the request", async () => {
  const made: number[] = [];
  const clock = turns();
  const pacer = new WorkerPacer({
    factory: (message) => {
      made.push(message.index);
      return { label: `w${message.index}` } as WorkerHandle;
    },
    turn: clock.turn,
  });
  const got: string[] = [];
  const done = (creation: Creation) => "handle" in creation && got.push(creation.handle.label);
  pacer.create(init(0), events, done);
  const withdraw = pacer.create(init(1), events, done);
  pacer.create(init(2), events, done);
  assert.deepEqual(made, [], "nothing is created inside the call");
  withdraw();
  assert.equal(pacer.pending, 2);
  await clock.pass();
  assert.deepEqual(made, [0]);
  await clock.pass();
  assert.deepEqual(made, [0, 2], "the withdrawn request is skipped");
  assert.deepEqual(got, ["w0", "w2"]);
  assert.equal(clock.waiting, 0, "no turn is taken with nothing to do");
});

Deno.test("pacer: a throwing factory is an error for its requester; later jobs run", async () => {
  const clock = turns();
  let fail = true;
  const pacer = new WorkerPacer({
    factory: () => {
      if (fail) throw new Error("Resource temporarily unavailable (os error 11)");
      return {} as WorkerHandle;
    },
    turn: clock.turn,
  });
  const creations: Creation[] = [];
  pacer.create(init(0), events, (c) => creations.push(c));
  pacer.schedule(() => {
    throw new Error("a job's own bug");
  });
  pacer.create(init(1), events, (c) => creations.push(c));
  await clock.pass();
  assert.deepEqual(creations[0], {
    error: {
      name: "Error",
      message: "cannot start a worker: Resource temporarily unavailable (os error 11)",
    },
  });
  fail = false;
  await clock.pass();
  await clock.pass();
  assert.ok("handle" in creations[1], "the pacer goes on after a job threw");
});

Deno.test("pacer: close drops what waits and takes nothing more", async () => {
  const clock = turns();
  let made = 0;
  const pacer = new WorkerPacer({ factory: () => (made++, {} as WorkerHandle), turn: clock.turn });
  pacer.create(init(0), events, () => {});
  pacer.close();
  pacer.create(init(1), events, () => {});
  await clock.pass();
  await clock.pass();
  assert.equal(made, 0);
  assert.equal(pacer.pending, 0);
});

Deno.test("pacer: terminations and creations take turns; close runs the terminations left", async () => {
  const clock = turns();
  const order: string[] = [];
  const pacer = new WorkerPacer({
    factory: (message) => {
      order.push(`create ${message.index}`);
      return {} as WorkerHandle;
    },
    turn: clock.turn,
  });
  const handle = (name: string) =>
    ({
      terminate() {
        order.push(`end ${name}`);
      },
    }) as unknown as WorkerHandle;
  pacer.create(init(0), events, () => {});
  pacer.create(init(1), events, () => {});
  pacer.terminate(handle("a"));
  pacer.terminate(handle("b"));
  pacer.terminate(handle("c"));
  assert.deepEqual(order, [], "nothing inside the call");
  for (let i = 0; i < 5; i++) await clock.pass();
  assert.deepEqual(order, ["end a", "create 0", "end b", "create 1", "end c"]);
  pacer.terminate(handle("d"));
  pacer.close();
  assert.equal(order.at(-1), "end d", "close terminates at once");
  pacer.terminate(handle("e"));
  assert.equal(order.at(-1), "end e", "after close, at once");
});
