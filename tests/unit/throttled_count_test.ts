// Throttled counts: the first event is reported at once, the next ones
// summed into one report per interval.
import assert from "node:assert/strict";
import { ThrottledCount } from "../../src/base/throttled_count.ts";

Deno.test("throttled count: one report per interval, with the events since the last", () => {
  let now = 5_000;
  const reports: number[] = [];
  const count = new ThrottledCount(10_000, (n) => reports.push(n), () => now);
  count.add();
  assert.deepEqual(reports, [1], "the first at once");
  for (let i = 0; i < 7; i++) {
    now += 1000;
    count.add();
  }
  assert.deepEqual(reports, [1]);
  now += 3000;
  count.add();
  assert.deepEqual(reports, [1, 8], "the ones held back are summed in the next report");
  now += 10_000;
  count.add();
  assert.deepEqual(reports, [1, 8, 1]);
});
