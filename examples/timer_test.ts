// Unit tests of the timer example, as a script author writes them: the
// script's functions called directly under `deno test`, no host running.
// A recording KSR is installed first, then the script is imported.
import assert from "node:assert/strict";
import { installTestKsr } from "../kemi/testing.ts";

const ksr = installTestKsr();
const script = await import("./timer.ts");

Deno.test("timer: counts once at once, then every 600 ms, and ends on KSR.shutdown", async () => {
  const running = script.timer("0");
  assert.deepEqual(ksr.messages(), ["timer worker 0: count 1"]);
  await new Promise((resolve) => setTimeout(resolve, 700));
  assert.deepEqual(ksr.messages("info"), ["timer worker 0: count 1", "timer worker 0: count 2"]);
  ksr.stop();
  await running; // the loop sees KSR.shutdown aborted after its sleep, and returns
  assert.equal(ksr.records.length, 2);
});

Deno.test("timer: the seed's task name is the same function", () => {
  assert.equal(script["evrexec:timer"], script.timer);
});

Deno.test("hello: greets $evr(data), or the world when there is none", () => {
  ksr.evr.data = "operator";
  assert.equal(script.hello("operator"), "hello, operator");
  ksr.evr.data = "";
  assert.equal(script.hello(""), "hello, world");
  assert.ok(ksr.messages().includes('hello called with data "operator"'));
});
