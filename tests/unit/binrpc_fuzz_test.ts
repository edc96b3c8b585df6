// Property tests of the BINRPC codec: whatever bytes arrive (random, valid
// frames cut at every offset, bit flips, deep nesting, huge declared
// lengths), the decoders return a value within the limits and never throw;
// what the encoders write decodes back to what was given.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type BinrpcRecord,
  decodeReply,
  decodeRequest,
  DEFAULT_BINRPC_LIMITS,
  encodeReply,
  encodeRequest,
  recordValue,
  type RequestResult,
} from "../../src/rpc/kamailio/binrpc.ts";

const LIMIT = DEFAULT_BINRPC_LIMITS.maxFrameBytes;

/** Checks what any decodeRequest call must give, whatever it was fed. */
function checkBounded(buf: Uint8Array, got: RequestResult): void {
  switch (got.kind) {
    case "more":
      assert.ok(got.need >= 1, "asks for at least one byte");
      assert.ok(buf.length + got.need <= LIMIT, "never waits for more than a frame's limit");
      break;
    case "request":
      assert.ok(got.frameBytes <= buf.length && got.frameBytes <= LIMIT);
      assert.equal(got.request.params.length, got.request.kinds.length);
      break;
    case "error":
      assert.notEqual(got.error.kind, "internal", got.error.message);
      assert.ok(got.error.faultCode === 400, got.error.message);
      assert.ok(got.error.message.length <= 200, "one short line");
      break;
    default:
      assert.fail(`unknown result ${JSON.stringify(got)}`);
  }
}

/** A header for a request body of `length` bytes, so random bodies get past it. */
function framed(body: Uint8Array, cookie = 0x11): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out.set([0xa1, 0x04, body.length >> 8, body.length & 0xff, cookie]);
  out.set(body, 5);
  return out;
}

const kamcmdParam = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }),
);
const method = fc.stringMatching(/^[a-z]{1,12}\.[a-zA-Z_]{1,16}$/);
const request = fc.record({
  cookie: fc.integer({ min: 0, max: 0xffffffff }),
  method,
  params: fc.array(kamcmdParam, { maxLength: 40 }),
});

Deno.test("binrpc fuzz: random bytes, with or without a valid header, never throw", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.boolean(), (bytes, withHeader) => {
      const buf = withHeader ? framed(bytes) : bytes;
      checkBounded(buf, decodeRequest(buf));
      const reply = decodeReply(buf);
      assert.ok(reply.kind !== "error" || reply.error.kind !== "internal");
    }),
    { numRuns: 3000 },
  );
});

Deno.test("binrpc fuzz: a valid request cut at every offset asks for exactly the rest", () => {
  fc.assert(
    fc.property(request, ({ cookie, method, params }) => {
      const frame = encodeRequest(cookie, method, params)!;
      for (let cut = 0; cut < frame.length; cut++) {
        const got = decodeRequest(frame.subarray(0, cut));
        assert.equal(got.kind, "more", `cut at ${cut} of ${frame.length}`);
        if (got.kind === "more") assert.ok(cut + got.need <= frame.length);
      }
      const whole = decodeRequest(frame);
      assert.ok(whole.kind === "request");
      assert.equal(whole.frameBytes, frame.length);
      assert.equal(whole.request.method, method);
      assert.equal(whole.request.cookie, cookie);
      const sentAs = params.map((p) =>
        typeof p === "string"
          ? p
          : Number.isInteger(p) && Math.abs(p) <= 0x7fffffff
          ? p
          : Math.trunc(p * 1000) / 1000
      );
      assert.deepEqual(whole.request.params, sentAs.map((p) => Object.is(p, -0) ? 0 : p));
    }),
    { numRuns: 300 },
  );
});

Deno.test("binrpc fuzz: bit flips and byte changes in valid frames never throw", () => {
  fc.assert(
    fc.property(
      request,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 6,
      }),
      ({ cookie, method, params }, changes) => {
        const frame = encodeRequest(cookie, method, params)!;
        for (const [at, value] of changes) frame[at % frame.length] ^= value || 1;
        checkBounded(frame, decodeRequest(frame));
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("binrpc fuzz: nesting past the limit is one too_deep error, however deep", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 5000 }), fc.boolean(), (depth, structs) => {
      // `depth` containers, each holding the next (a struct through its member "a"), then an int
      const open: number[] = [];
      const close: number[] = [];
      for (let i = 0; i < depth; i++) {
        if (structs) open.push(0x03, 0x25, 0x61, 0x00);
        else open.push(0x04);
        close.push(structs ? 0x83 : 0x84);
      }
      const buf = framed(new Uint8Array([0x21, 0x6d, 0x00, ...open, 0x10, 0x01, ...close]));
      const got = decodeRequest(buf);
      checkBounded(buf, got);
      if (depth > DEFAULT_BINRPC_LIMITS.maxDepth) {
        assert.ok(got.kind === "error" && got.error.kind === "too_deep", JSON.stringify(got));
      } else {
        assert.equal(got.kind, "request", JSON.stringify(got));
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("binrpc fuzz: huge declared lengths are refused at once, without reading them", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 16, max: 0xffffffff }),
      fc.constantFrom(0, 1, 5, 6),
      (lengthBytes, length, type) => {
        const declared = 16 + (length % (256 ** lengthBytes - 16)); // 16 up to what the bytes hold
        const bytes = [0x21, 0x6d, 0x00, ((8 | lengthBytes) << 4) | type];
        for (let i = lengthBytes - 1; i >= 0; i--) {
          bytes.push(Math.floor(declared / 256 ** i) % 256);
        }
        const buf = framed(new Uint8Array(bytes));
        const got = decodeRequest(buf);
        checkBounded(buf, got);
        assert.equal(got.kind, "error");
      },
    ),
    { numRuns: 1000 },
  );
  const header = new Uint8Array([0xa1, 0x0f, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]);
  const got = decodeRequest(header);
  assert.ok(got.kind === "error" && got.error.kind === "frame_too_large", "a 4 GiB frame");
});

/** Lenient structs of plain values back to arrays, as a kamcmd reader sees them. */
function plain(record: BinrpcRecord): unknown {
  if (record.type !== "struct") return recordValue(record);
  if (record.members.length > 0 && record.members.every((m) => m.name === null)) {
    return record.members.map((m) => plain(m.value));
  }
  const out: Record<string, unknown> = {};
  for (const m of record.members) {
    Object.defineProperty(out, m.name ?? "", {
      value: plain(m.value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** What a value looks like after a BINRPC round trip (the module's mapping, written again). */
function model(value: unknown): unknown {
  if (value === null) return "<null string>";
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") {
    if (Number.isInteger(value) && Math.abs(value) <= 0x7fffffff) return value === 0 ? 0 : value;
    if (Math.abs(value * 1000) < 2 ** 63) {
      const fixed = Math.trunc(value * 1000) / 1000;
      return fixed === 0 ? 0 : fixed;
    }
    return String(value);
  }
  if (Array.isArray(value)) return value.length === 0 ? {} : value.map(model);
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      Object.defineProperty(out, k, {
        value: model(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

Deno.test("binrpc fuzz: any JSON result decodes back to what the mapping says", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6 }), fc.nat(), (value, cookie) => {
      const encoded = encodeReply(cookie, value);
      if (!encoded.ok) {
        assert.equal(encoded.error.kind, "reply_too_large");
        return;
      }
      const got = decodeReply(encoded.frame);
      assert.ok(got.kind === "reply", JSON.stringify(got));
      assert.equal(got.cookie, cookie >>> 0);
      const top = value === null ? [] : Array.isArray(value) ? value : [value];
      assert.deepEqual(got.records.map(plain), top.map(model));
    }),
    { numRuns: 1000 },
  );
});
