// The datagram reply sender: a client that stops reading costs one send and
// its socket, not every later answer; an answer queued too long is given up.
// Driven on a clock of its own in a subprocess (Unix datagrams need
// --unstable-net, which the test runner does not pass).
import assert from "node:assert/strict";
import { ReplyLanes } from "../../src/rpc/reply_sender.ts";

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

/** A sender whose sends settle when the test says. */
class HeldSender {
  readonly sent: { path: string; done: PromiseWithResolvers<void> }[] = [];
  closed = false;
  send(_answer: Uint8Array, path: string): Promise<void> {
    const done = Promise.withResolvers<void>();
    this.sent.push({ path, done });
    return done.promise;
  }
  close(): void {
    this.closed = true;
  }
}

Deno.test("reply lanes: a client keeps to its lane while answers are under way; others take idle lanes", async () => {
  const senders: HeldSender[] = [];
  const lanes = new ReplyLanes(3, () => {
    const sender = new HeldSender();
    senders.push(sender);
    return sender;
  });
  const answer = new Uint8Array([1]);
  const greedy = [1, 2, 3, 4, 5].map(() => lanes.send(answer, "/greedy"));
  const polite = lanes.send(answer, "/polite");
  const third = lanes.send(answer, "/third");
  assert.deepEqual(senders.map((s) => s.sent.map((x) => x.path)), [
    ["/greedy", "/greedy", "/greedy", "/greedy", "/greedy"],
    ["/polite"],
    ["/third"],
  ], "a client that does not read holds up its own lane only");
  senders[1].sent[0].done.resolve();
  await polite;
  // The polite client has nothing under way: its next answer takes the least busy lane.
  const again = lanes.send(answer, "/polite");
  assert.deepEqual(senders[1].sent.map((x) => x.path), ["/polite", "/polite"]);
  for (const { done } of senders[0].sent) done.reject(new Error("not taken"));
  const results = await Promise.allSettled(greedy);
  assert.ok(results.every((r) => r.status === "rejected"), "a failed send rejects its answer");
  // The greedy client's lane is free again: a new client may take it.
  const fresh = lanes.send(answer, "/fresh");
  assert.deepEqual(senders[0].sent.at(-1)?.path, "/fresh");
  for (const sender of senders) for (const { done } of sender.sent) done.resolve();
  await Promise.all([third, again, fresh]);
  lanes.close();
  assert.ok(senders.every((s) => s.closed));
});
