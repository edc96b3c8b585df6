// The exec spec: every invalid spec refused by the host with exit 2 and one
// line naming the bad part (valid ones: unit/spec_test.ts).
import assert from "node:assert/strict";
import { MAX_WAIT_US, MAX_WORKERS } from "../src/config/exec_spec.ts";
import { fixture, runHost } from "./helpers/host.ts";

const INVALID: [string, RegExp][] = [
  ["", /empty spec/],
  ["   ", /empty spec/],
  ["wait=10", /missing "name"/],
  ["name=", /empty "name"/],
  ['name=""', /empty "name"/],
  ["name=t;wait=abc", /wait must be an integer from 0 to 86400000000 \(microseconds\), got/],
  ["name=t;wait=-1", /wait must be an integer from 0 to 86400000000 \(microseconds\), got/],
  ["name=t;wait=1.5", /wait must be an integer from 0 to 86400000000 \(microseconds\), got/],
  ["name=t;workers=x", /workers must be an integer from 0 to 1024, got/],
  ["name=t;workers=", /workers must be an integer from 0 to 1024, got/],
  ["name=t;colour=red", /unknown key "colour" \(expected name, function, wait, workers, restart, /],
  ["name=t;name=u", /key "name" given twice/],
  ["name=t;function=", /empty "function" \(leave it out to call the function named by "name"\)/],
  ['name=t;function=""', /empty "function"/],
  ["name=t;function=a;FUNCTION=b", /key "function" given twice/],
  ["name=t;WAIT=1;wait=2", /key "wait" given twice/],
  [`name=t;workers=${MAX_WORKERS + 1}`, /workers must be an integer from 0 to 1024, got "1025"/],
  [
    `name=t;wait=${MAX_WAIT_US + 1}`,
    /wait must be an integer from 0 to 86400000000 \(microseconds\), got "86400000001"/,
  ],
  ["name=t;;wait=1", /empty item/],
  ["name=t;wait", /item "wait" is not key=value/],
  ["name=t;restart=sometimes", /restart must be one of no, on-failure, always/],
  ["name=t;backoff=0", /backoff must be an integer from 1 to 86400000 \(ms\), got "0"/],
  [
    "name=t;backoff=500;backoff_max=100",
    /backoff_max must be an integer from 500 to 86400000 \(ms\), got "100"/,
  ],
  ["name=t;max_restarts=-1", /max_restarts must be an integer from 0 to 1000000, got "-1"/],
  [
    "name=t;restart_window=0",
    /restart_window must be an integer from 1 to 86400000 \(ms\), got "0"/,
  ],
  ["name=t;sockaddr=udp:host", /sockaddr must be udp:HOST:PORT/],
  // a blank where a ';' was meant: a hint, not "no exported function"
  [
    "name=ticker workers=2",
    /the value of "name", "ticker workers=2", holds a blank before workers=: items are separated by ';' \(did you mean "name=ticker;workers=2"\?\)/,
  ],
  ["name=t;wait=1000  Workers=2", /the value of "wait", .* holds a blank before Workers=/],
  // timer tasks (every=, cron=, tz=, overlap=)
  ["name=t;every=5d", /every must be a whole number with a unit ms, s, m or h .*got "5d"/],
  ["name=t;every=10", /every must be a whole number with a unit/],
  ["name=t;every=0", /every must be a whole number with a unit/],
  ["name=t;every=0ms", /every must be an integer from 1 to 86400000 \(ms\), got "0"/],
  ["name=t;every=0s", /every must be an integer from 1 to 86400 \(s\), got "0"/],
  ["name=t;cron=61 * * * *", /cron "61 \* \* \* \*": Invalid value for minute: 61/],
  ["name=t;cron=* * * *", /cron "\* \* \* \*": .*five, six/],
  ["name=t;cron=0 0 30 2 *", /cron "0 0 30 2 \*" never fires/],
  ["name=t;cron=* * * * *;tz=Mars/Olympus", /tz must be an IANA time zone .*"Mars\/Olympus"/],
  ["name=t;every=1s;cron=* * * * *", /every and cron exclude each other/],
  ["name=t;every=1s;sockaddr=udp:127.0.0.1:0", /a sockaddr task takes no every/],
  ["name=t;cron=* * * * *;sockaddr=udp:127.0.0.1:0", /a sockaddr task takes no cron/],
  ["name=t;tz=UTC", /tz needs cron/],
  ["name=t;every=1s;tz=UTC", /tz needs cron/],
  ["name=t;overlap=queue", /overlap needs every or cron/],
  ["name=t;every=1s;overlap=later", /overlap must be one of skip, queue, got "later"/],
];

for (const [spec, problem] of INVALID) {
  Deno.test(`exec spec: ${JSON.stringify(spec)} exits 2 naming the problem`, async () => {
    const exit = await runHost([
      "--socket",
      "/tmp/evrexec-unused.sock",
      "--exec",
      spec,
      fixture("tasks.ts"),
    ]);
    assert.equal(exit.code, 2, exit.stderr);
    const lines = exit.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `one line expected, got:\n${exit.stderr}`);
    assert.match(lines[0], problem);
    assert.ok(lines[0].includes(JSON.stringify(spec)), `the line quotes the spec: ${lines[0]}`);
    assert.doesNotMatch(exit.stderr, /^\s+at .*:\d+:\d+/m, "no stack trace");
  });
}
