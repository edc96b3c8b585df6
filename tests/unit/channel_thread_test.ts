// The shared channel between two threads, as the pool uses it: calls whose
// answers the host catches by spinning, and calls it waits for
// asynchronously, all answered in step; the policy's count of calls in
// flight goes back to zero.
import assert from "node:assert/strict";
import { HostChannel } from "../../src/pool/channel.ts";
import { HopPolicy } from "../../src/pool/hop_policy.ts";

const WORKER = new URL("./fixtures/channel_echo_worker.ts", import.meta.url);

Deno.test("channel: calls to a worker thread, spun for or awaited, are answered in step", async () => {
  const policy = new HopPolicy();
  const host = new HostChannel({ policy, counterStart: 2 ** 31 - 50 });
  const worker = new Worker(WORKER, { type: "module" });
  try {
    const ready = new Promise((resolve) => worker.onmessage = resolve);
    worker.postMessage(host.buffer);
    await ready;
    let id = 2 ** 31 - 50;
    for (let call = 0; call < 300; call++, id = (id + 1) | 0) {
      const answer = host.call(id, "echo", `call ${call}`);
      assert.ok(answer !== null);
      assert.deepEqual(await answer, { kind: "result", text: JSON.stringify(`call ${call}`) });
      assert.equal(policy.inFlight, 0);
    }
    assert.ok((policy.runUs("echo") ?? -1) >= 0, "the worker's run times reach the policy");
  } finally {
    host.close();
    worker.terminate();
  }
});
