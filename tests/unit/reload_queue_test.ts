// Reloads asked for while one runs are coalesced into one more, which reads the
// files changed meanwhile and whose outcome every such ask shares.
import assert from "node:assert/strict";
import { ReloadQueue } from "../../src/host/reload_queue.ts";

/** A reload that ends when the test says so. */
function controlled() {
  const runs: { changed: readonly string[]; end: (outcome: number | Error) => void }[] = [];
  const queue = new ReloadQueue<number>((changed) =>
    new Promise((resolve, reject) => {
      runs.push({
        changed,
        end: (outcome) => outcome instanceof Error ? reject(outcome) : resolve(outcome),
      });
    })
  );
  return { queue, runs };
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("reload queue: one runs, the asks meanwhile become one more that shares its outcome", async () => {
  const { queue, runs } = controlled();
  const first = queue.ask(["a.ts"]);
  assert.equal(first.turn, "now");
  assert.ok(queue.running);
  const second = queue.ask(["b.ts"]);
  const third = queue.ask(["c.ts", "b.ts"]);
  assert.deepEqual([second.turn, third.turn], ["next", "joined"]);
  assert.equal(second.done, third.done, "one outcome for both");
  for (let i = 0; i < 197; i++) assert.equal(queue.ask().turn, "joined");
  assert.equal(runs.length, 1, "nothing more runs meanwhile");
  runs[0].end(1);
  assert.equal(await first.done, 1);
  await turn();
  assert.equal(runs.length, 2, "exactly one more");
  assert.deepEqual(runs[1].changed, ["b.ts", "c.ts"], "the files changed meanwhile, once each");
  assert.equal(queue.ask().turn, "next", "an ask during the second run queues a third");
  runs[1].end(new Error("bad script"));
  await assert.rejects(second.done, /bad script/);
  await assert.rejects(third.done, /bad script/);
  await turn();
  assert.equal(runs.length, 3);
  runs[2].end(3);
  await turn();
  assert.ok(!queue.running);
  assert.equal(queue.ask().turn, "now", "idle again");
});

Deno.test("reload queue: a reload that throws at once still lets the next one run", async () => {
  let calls = 0;
  const queue = new ReloadQueue<number>(() => {
    calls++;
    if (calls === 1) throw new Error("sync failure");
    return Promise.resolve(calls);
  });
  const first = queue.ask();
  const second = queue.ask();
  await assert.rejects(first.done, /sync failure/);
  assert.equal(await second.done, 2);
});
