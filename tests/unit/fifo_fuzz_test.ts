// Property tests of the jsonrpcs FIFO codec: whatever bytes a writer puts
// into the FIFO, in whatever chunks, the scanner keeps at most its limit,
// never throws, finds every well-formed request between junk and oversized
// ones, and the request parser and the reply printer never throw either.
import assert from "node:assert/strict";
import fc from "fast-check";
import { type FifoScanEvent, FifoScanner } from "../../src/rpc/kamailio/fifo_scanner.ts";
import { parseFifoRequest } from "../../src/rpc/kamailio/fifo_request.ts";
import { formatKamailioJson } from "../../src/rpc/kamailio/fifo_reply.ts";
import { checkReplyName } from "../../src/rpc/kamailio/fifo_reply_fifo.ts";

const encoder = new TextEncoder();
const MAX = 512;

/** Pushes `bytes` cut at `cuts` (offsets), then ends the stream. */
function scanChunked(bytes: Uint8Array, cuts: number[]): FifoScanEvent[] {
  const scanner = new FifoScanner(MAX);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const events: FifoScanEvent[] = [];
  let from = 0;
  for (const at of [...points, bytes.length]) {
    events.push(...scanner.push(bytes.subarray(from, at)));
    from = at;
  }
  return [...events, ...scanner.end()];
}

function checkEvents(events: FifoScanEvent[]): void {
  for (const event of events) {
    if (event.kind === "document") {
      assert.ok(event.bytes.length <= MAX, "a document is never longer than the limit");
      assert.ok(event.bytes[0] === 0x7b || event.bytes[0] === 0x5b);
      const got = parseFifoRequest(event.bytes);
      if (got.ok) assert.equal(checkReplyName(got.replyName), null);
      else assert.ok(got.message.length <= 300, "one short line");
    } else if (event.kind === "oversized") {
      assert.ok(event.bytes > MAX);
    } else {
      assert.ok(event.bytes > 0);
    }
  }
}

Deno.test("fifo fuzz: random bytes in random chunks never throw and give the same events", () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 2000 }),
    fc.array(fc.constantFrom(...'{}[]"\\ a:,\n'), { maxLength: 2000 })
      .map((chars) => encoder.encode(chars.join(""))),
  );
  fc.assert(
    fc.property(bytes, fc.array(fc.nat(), { maxLength: 20 }), (input, cuts) => {
      const chunked = scanChunked(input, cuts);
      checkEvents(chunked);
      assert.deepEqual(chunked, scanChunked(input, []), "chunking changes nothing");
    }),
    { numRuns: 2000 },
  );
});

/** A kamctl-like request with random params and id. */
const request = fc.record({
  jsonrpc: fc.constant("2.0"),
  method: fc.stringMatching(/^[a-z]{1,8}\.[a-z_]{1,10}$/),
  params: fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.integer()), { maxLength: 6 }),
  reply_name: fc.stringMatching(/^kamailio_receiver_[0-9]{1,7}$/),
  id: fc.nat(),
});

/** Junk between requests: anything but an opening brace or bracket. */
const junk = fc.string({ maxLength: 20 }).map((s) => s.replace(/[{[]/g, ""));

Deno.test("fifo fuzz: requests between junk and oversized documents are all found, in order", () => {
  const item = fc.oneof(
    { weight: 3, arbitrary: request.map((r) => ({ big: false, text: JSON.stringify(r), r })) },
    {
      weight: 1,
      arbitrary: fc.string({ minLength: MAX, maxLength: 3 * MAX }).map((s) => ({
        big: true,
        text: JSON.stringify({ jsonrpc: "2.0", method: "x.y", params: [s], reply_name: "n" }),
        r: null,
      })),
    },
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(junk, item), { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (items, cuts) => {
        const stream = encoder.encode(items.map(([j, i]) => j + i.text).join(""));
        const events = scanChunked(stream, cuts).filter((e) => e.kind !== "junk");
        checkEvents(events);
        assert.equal(events.length, items.length);
        items.forEach(([, { big, text, r }], n) => {
          const event = events[n];
          const size = encoder.encode(text).length;
          if (big && size > MAX) {
            assert.deepEqual(event, { kind: "oversized", bytes: size });
            return;
          }
          assert.equal(event.kind, "document");
          if (event.kind !== "document" || r === null) return;
          const got = parseFifoRequest(event.bytes);
          assert.ok(got.ok);
          assert.equal(got.replyName, r.reply_name);
          assert.deepEqual([got.call.method, got.call.params, got.call.id], [
            r.method,
            r.params,
            r.id,
          ]);
        });
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("fifo fuzz: any JSON document parses or is refused, never thrown", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
      const got = parseFifoRequest(encoder.encode(JSON.stringify(value) ?? ""));
      if (got.ok) assert.equal(checkReplyName(got.replyName), null);
      else assert.ok(typeof got.message === "string" && typeof got.code === "number");
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const got = parseFifoRequest(bytes);
      assert.ok(!got.ok || checkReplyName(got.replyName) === null);
    }),
    { numRuns: 1000 },
  );
});

/** `a` and `b` are the same JSON, numbers within the six decimals srjson prints. */
function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") {
    return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length &&
      ka.every((k, i) =>
        k === kb[i] &&
        sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
      );
  }
  return Object.is(a, b);
}

Deno.test("fifo fuzz: the reply printer writes JSON that reads back as the answer", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
      const printed = formatKamailioJson(value);
      assert.ok(printed.ok);
      const back = JSON.parse(printed.text);
      assert.ok(sameJson(value, back), printed.text);
    }),
    { numRuns: 1000 },
  );
});
