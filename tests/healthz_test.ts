// GET /healthz: 200 while every task is active, 503 with a one-line reason
// once a task crash-loops, and while the host shuts down.
import assert from "node:assert/strict";
import { fixture, sleep, startHost } from "./helpers/host.ts";
import { health } from "./helpers/metrics.ts";

const OBSERVE = fixture("observe.ts");

Deno.test("healthz: 200, then 503 naming the task once it crash-loops; 503 while shutting down", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-health-" });
  const trigger = `${dir}/crash-now`;
  const host = await startHost(OBSERVE, {
    exec: [
      "name=steady",
      "name=crashOnTrigger;restart=always;backoff=20;max_restarts=2",
      "name=stubborn",
    ],
    args: ["--metrics", "127.0.0.1:0", "--shutdown-timeout", "3000"],
    env: { EVREXEC_TEST_TRIGGER: trigger },
  });
  try {
    const [, port] = await host.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/);
    await host.waitFor(/task crashOnTrigger: 1 worker running/);
    assert.deepEqual(await health(port), [200, "ok\n"]);
    const other = await fetch(`http://127.0.0.1:${port}/nope`);
    assert.equal(other.status, 404);
    await other.body?.cancel();
    const post = await fetch(`http://127.0.0.1:${port}/healthz`, { method: "POST" });
    assert.equal(post.status, 405);
    await post.body?.cancel();

    await Deno.writeTextFile(trigger, "");
    await host.waitFor(/task "crashOnTrigger": crash loop/);
    const [status, body] = await health(port);
    assert.equal(status, 503);
    assert.equal(body.split("\n").filter(Boolean).length, 1, body);
    assert.match(body, /^task "crashOnTrigger" failed: its workers crash-looped/);

    host.process.kill("SIGTERM"); // stubborn reads KSR.shutdown but never ends: the stop takes its 3 s
    await host.waitFor(/SIGTERM received; stopping/);
    await sleep(200);
    const [during, why] = await health(port);
    assert.equal(during, 503);
    assert.match(why, /^shutting down/);
    assert.equal((await host.waitExit()).code, 0);
  } finally {
    await host.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});
