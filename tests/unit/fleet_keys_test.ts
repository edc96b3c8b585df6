// The exec spec's fleet keys (issue 23): singleton, lease, catchup,
// catchup_window, their defaults and their one-line errors.
import assert from "node:assert/strict";
import { parseExecSpec } from "../../src/config/exec_spec.ts";
import { readDuration } from "../../src/config/fleet_keys.ts";
import { FLEET_DEFAULTS } from "../../src/config/defaults.ts";

Deno.test("fleet keys: durations with a unit, within bounds", () => {
  assert.equal(readDuration("lease", "500ms", 1, 10_000), 500);
  assert.equal(readDuration("lease", "10s", 1, 10_000), 10_000);
  assert.equal(readDuration("w", "2h", 1, 86_400_000), 7_200_000);
  assert.throws(
    () => readDuration("lease", "10", 1, 10_000),
    /lease must be a whole number with a unit/,
  );
  assert.throws(() => readDuration("lease", "1.5s", 1, 10_000), /a whole number/);
  assert.throws(
    () => readDuration("lease", "11s", 1, 10_000),
    /lease must be from 1 ms to 10000 ms/,
  );
  assert.throws(() => readDuration("lease", "9".repeat(20) + "s", 1, 10_000), /a whole number/);
});

Deno.test("fleet keys: defaults, and none on a task that is not a singleton", () => {
  assert.equal(parseExecSpec("name=a;every=1s").fleet, undefined);
  assert.deepEqual(parseExecSpec("name=a;singleton=cluster;every=1s").fleet, {
    singleton: "cluster",
    leaseMs: FLEET_DEFAULTS.leaseMs,
    catchUp: "skip",
    catchUpWindowMs: 3_600_000,
  });
  assert.deepEqual(
    parseExecSpec("name=a;SINGLETON=cluster;cron=0 * * * *;catchup=all;catchup_window=30m;lease=2s")
      .fleet,
    { singleton: "cluster", leaseMs: 2_000, catchUp: "all", catchUpWindowMs: 1_800_000 },
  );
});

Deno.test("fleet keys: every mistake is one line naming the key", () => {
  const cases: [string, RegExp, string][] = [
    ["name=a;singleton=yes", /singleton must be one of cluster, got "yes"/, "singleton"],
    ["name=a;catchup=all", /catchup needs singleton=cluster/, "catchup"],
    ["name=a;catchup_window=1h", /catchup_window needs singleton=cluster/, "catchup_window"],
    [
      "name=a;singleton=cluster;catchup_window=1h",
      /catchup_window needs every= or cron=/,
      "catchup_window",
    ],
    [
      "name=a;singleton=cluster;sockaddr=udp:127.0.0.1:0",
      /a sockaddr task cannot be a singleton/,
      "singleton",
    ],
    ["name=a;singleton=cluster;lease=2h", /lease must be from 1000 ms to 3600000 ms/, "lease"],
  ];
  for (const [spec, message, key] of cases) {
    assert.throws(() => parseExecSpec(spec), (error: Error & { key?: string }) => {
      assert.match(error.message, message);
      assert.equal(error.key, key);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  }
});
