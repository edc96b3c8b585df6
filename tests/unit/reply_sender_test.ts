// The datagram reply sender: a client that stops reading costs one send and
// its socket, not every later answer; an answer queued too long is given up.
// Driven on a clock of its own in a subprocess (Unix datagrams need
// --unstable-net, which the test runner does not pass).
import assert from "node:assert/strict";

const PROBE = new URL("./fixtures/reply_sender_probe.ts", import.meta.url).pathname;

Deno.test("reply sender: a stalled send is given up, the next answer goes out, a stale one is dropped", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--unstable-net",
      "--allow-read",
      "--allow-write",
      "--allow-net",
      PROBE,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.deepEqual(JSON.parse(text), [
    "stalled",
    "pending",
    "stuck: the client did not take the answer within 1000 ms",
    "behind: sent",
    "reader got 1 byte",
    "stuck: the client did not take the answer within 1000 ms",
    "late: the answer waited 5000 ms to be sent",
  ]);
});
