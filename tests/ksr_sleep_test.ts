// KSR.sleep and KSR.usleep, as cfgutils has them: awaited, and ended by the
// host's stop, so a worker sleeping in sleep("600") (ten minutes) stops at
// once, without counting as a failure.
import assert from "node:assert/strict";
import { fixture, withHost } from "./helpers/host.ts";

const SEED = fixture("kamailio_seed.ts");

Deno.test(
  'ksr sleep: a worker in sleep("600") stops promptly on SIGTERM and leaves its loop cleanly',
  withHost(SEED, {
    exec: ["name=evrexec:timer;workers=2"],
    // A long grace: without the stop ending the sleep, the host would wait it out.
    args: ["--shutdown-timeout", "30000"],
  }, async (host) => {
    await host.waitFor(/timer 1: tick, now sleep\("600"\)/);
    await host.waitFor(/timer 0: tick, now sleep\("600"\)/);
    const { code, ms } = await host.stop("SIGTERM", 60_000);
    assert.equal(code, 0, host.log);
    assert.ok(ms < 15_000, `stopped after ${ms} ms (grace 30000 ms)`);
    assert.match(host.log, /timer 0: left its loop/);
    assert.match(host.log, /timer 1: left its loop/);
    assert.doesNotMatch(host.log, /AbortError|threw|\[ERR\]/, "the stop is not a failure");
  }),
);

Deno.test(
  "ksr usleep and sleep: they wait, and a bad value is one clear error",
  withHost(SEED, {}, async (host) => {
    const client = await host.client();
    const napped = await client.call("evrexec.run", ["nap", "300000"]) as number;
    assert.ok(napped >= 290 && napped < 10_000, `usleep("300000") took ${napped} ms`);
    assert.equal(await client.call("evrexec.run", ["doze", "0"]), "awake");
    const bad: [string, string, RegExp][] = [
      ["nap", "abc", /KSR\.usleep: expected a non-negative whole number of microseconds/],
      ["nap", "-5", /KSR\.usleep: expected a non-negative whole number/],
      ["doze", "1.5", /KSR\.sleep: expected a non-negative whole number of seconds/],
      ["doze", "99999999", /KSR\.sleep: 99999999 is over the longest wait/],
    ];
    for (const [fn, data, expected] of bad) {
      await assert.rejects(client.call("evrexec.run", [fn, data]), (error: Error) => {
        assert.match(error.message, expected);
        return true;
      });
    }
  }),
);
