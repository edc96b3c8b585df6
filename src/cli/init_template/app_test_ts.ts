/**
 * The unit tests of the new project's script, on `kemi/testing`: its
 * functions called directly under `deno test`, no host running.
 *
 * @module
 */

import type { ProjectFacts } from "./facts.ts";

/** `app_test.ts`. */
export function appTestTs(facts: ProjectFacts): string {
  return `// Unit tests of app.ts (deno task test): its functions called directly,
// with a recording KSR installed before the script is imported.
import assert from "node:assert/strict";
import { installTestKsr } from "${facts.packageName}/kemi/testing";

const ksr = installTestKsr();
const app = await import("./app.ts");

Deno.test("hello greets the name it is given, or the world", () => {
  assert.equal(app.hello("operator"), "hello, operator");
  assert.equal(app.hello("  "), "hello, world");
});

Deno.test("heartbeat beats at once and ends as soon as the host stops", async () => {
  const running = app.heartbeat("0");
  assert.deepEqual(ksr.messages("info"), ["heartbeat 0: beat 1"]);
  ksr.stop(); // as the host does: KSR.shutdown is aborted
  await running; // no wait for the next beat: the sleep ends on KSR.shutdown
  assert.deepEqual(ksr.messages("info"), [
    "heartbeat 0: beat 1",
    "heartbeat 0: stopped",
  ]);
});
`;
}
