// Small things a newcomer hit (issue 24 item 6), in their pure parts: the
// advice for a missing --allow-run, and counts in words.
import assert from "node:assert/strict";
import { allowRunAdvice } from "../../src/base/deno_command.ts";
import { counted } from "../../src/base/plural.ts";

Deno.test("allow-run advice: no path of npx's cache, which changes and deno task cannot take", () => {
  const npx = "/root/.npm/_npx/5f0e8b1c/node_modules/deno/deno";
  assert.equal(
    allowRunAdvice(npx),
    "deno task dev and the installed evrexec command give it; with deno run, add --allow-run",
  );
  assert.match(
    allowRunAdvice("/usr/bin/deno"),
    /add --allow-run=\/usr\/bin\/deno \(or --allow-run\)$/,
  );
});

Deno.test("counted: singular for 1 only", () => {
  assert.deepEqual(
    [0, 1, 2].map((n) => counted(n, "exec task")),
    ["0 exec tasks", "1 exec task", "2 exec tasks"],
  );
  assert.equal(counted(1, "restart"), "1 restart");
  assert.equal(counted(3, "child", "children"), "3 children");
});
