// Property tests of the JSON-RPC framing against the real host (a subprocess
// on a temporary socket, one per Deno.test, a fresh connection per run):
// chunking never changes the answers, and hostile bytes never crash the host
// or block other clients.
import assert from "node:assert/strict";
import fc from "fast-check";
import { fixture, processExists, sleep, type TestHost, withHost } from "./helpers/host.ts";
import { RawClient, request } from "./helpers/raw.ts";

const RPC = fixture("rpc.ts");
const MAX_LINE_BYTES = 1 << 20;
const encoder = new TextEncoder();
/** Every error code the README lists. */
const CODES = [-32700, -32600, -32601, -32602, -32603, -32000, -32001, -32002, -32003];

type RpcId = string | number | null;

/** Joins byte arrays. */
function concatBytes(parts: (Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => p instanceof Uint8Array ? p : new Uint8Array(p));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Answers: parsing, comparing, and checking their form
// ---------------------------------------------------------------------------

/** JSON text with object keys sorted, so that equal values compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
  );
}

/** An answer line as a comparable string; a batch's answers may come in any order. */
function answerKey(answer: unknown): string {
  return Array.isArray(answer) ? `[${answer.map(canonical).sort().join(",")}]` : canonical(answer);
}

/**
 * An answer with a thrown error's stack cut to its first line: the frames
 * below it (Deno's own message loop) vary from call to call.
 */
function stable(answer: unknown): unknown {
  if (Array.isArray(answer)) return answer.map(stable);
  const a = answer as { error?: { data?: { stack?: unknown } } };
  const stack = a.error?.data?.stack;
  if (typeof stack !== "string") return answer;
  return { ...a, error: { ...a.error, data: { ...a.error!.data, stack: stack.split("\n")[0] } } };
}

/** The multiset of answers, as sorted keys. */
function multiset(answers: unknown[]): string[] {
  return answers.map((a) => answerKey(stable(a))).sort();
}

/** An answer without its error message (messages are the host's to word). */
function shape(answer: unknown): unknown {
  if (Array.isArray(answer)) return answer.map(shape);
  const a = answer as { error?: { code: number } };
  return a.error === undefined ? a : { ...a, error: { code: a.error.code } };
}

/** Asserts that `answer` is a JSON-RPC 2.0 response object. */
function assertResponse(answer: unknown, where: string): void {
  assert.ok(answer !== null && typeof answer === "object" && !Array.isArray(answer), where);
  const a = answer as Record<string, unknown>;
  assert.equal(a.jsonrpc, "2.0", where);
  assert.ok("id" in a, `${where}: no id`);
  assert.ok(a.id === null || typeof a.id === "string" || typeof a.id === "number", where);
  assert.notEqual("result" in a, "error" in a, `${where}: result and error`);
  if ("error" in a) {
    const error = a.error as { code?: unknown; message?: unknown };
    assert.ok(CODES.includes(error.code as number), `${where}: code ${error.code}`);
    assert.equal(typeof error.message, "string", where);
  }
}

/** Asserts that a line is a response or a non-empty batch of responses. */
function assertAnswerLine(answer: unknown, where: string): void {
  if (Array.isArray(answer)) {
    assert.ok(answer.length > 0, `${where}: an empty batch answer`);
    for (const a of answer) assertResponse(a, where);
  } else {
    assertResponse(answer, where);
  }
}

// ---------------------------------------------------------------------------
// A model of which lines get an answer (README "RPC")
// ---------------------------------------------------------------------------

/** A valid request without an id: it gets no answer. */
function isNotification(value: unknown): boolean {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  return !("id" in r) && r.jsonrpc === "2.0" && typeof r.method === "string" &&
    (r.params === undefined || (typeof r.params === "object" && r.params !== null));
}

/** How many answer lines one decoded line gets: 0 or 1. */
function answersFor(line: string): number {
  if (line.trim() === "") return 0; // blank lines are ignored
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return 1; // -32700
  }
  if (!Array.isArray(parsed)) return isNotification(parsed) ? 0 : 1;
  if (parsed.length === 0) return 1; // an empty batch: -32600
  return parsed.every(isNotification) ? 0 : 1;
}

/** How many answer lines a whole stream gets, when the client half-closes after it. */
function answersForStream(bytes: Uint8Array): number {
  const decoder = new TextDecoder("utf-8", { fatal: true }); // as strict as the host's
  let count = 0;
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = bytes.length;
    if (end > start) {
      let line: string | null = null;
      try {
        line = decoder.decode(bytes.subarray(start, end));
      } catch {
        // not UTF-8: the host answers -32700
      }
      count += line === null ? 1 : answersFor(line);
    }
    start = end + 1;
  }
  return count;
}

// ---------------------------------------------------------------------------
// Streams of requests, as plain data (so counterexamples read well)
// ---------------------------------------------------------------------------

/** How an id is written; ids are made unique by a counter when the stream is built. */
type IdStyle = { style: "number" | "fraction" | "negative" } | { style: "string"; text: string };

type Single =
  | { kind: "echo"; data: unknown; named: boolean; alias: boolean; id: IdStyle | null }
  | { kind: "version"; params: "none" | "array" | "object"; id: IdStyle | null }
  | { kind: "unknown"; method: string; id: IdStyle | null }
  | { kind: "fail"; data: string; id: IdStyle | null }
  | { kind: "nofn"; fn: string; id: IdStyle }
  | { kind: "invalid"; variant: number; id: IdStyle }
  | { kind: "nested-empty" };

type Line =
  | { kind: "single"; request: Single }
  | { kind: "batch"; requests: Single[] }
  | { kind: "empty-batch" }
  | { kind: "blank"; text: string }
  | { kind: "parse-error"; data: string; cut: number };

const anyCodePoint = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom("é", "漢", "😀", "\u2028", "\n", '"', "\\", "\u0000") },
);
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
/** Random text: any code point, and lone surrogates too (JSON escapes them: `"\ud800"`). */
const unicodeText = fc.string({
  unit: fc.oneof({ weight: 10, arbitrary: anyCodePoint }, { weight: 1, arbitrary: loneSurrogate }),
  maxLength: 24,
});
/**
 * Random well-formed text: any code point, no lone surrogate. Echo data in
 * (a) is drawn from it, as lone surrogates in data are mangled (see (a2)).
 */
const wellFormedText = fc.string({ unit: anyCodePoint, maxLength: 24 });

const idStyle: fc.Arbitrary<IdStyle> = fc.oneof(
  fc.constantFrom<IdStyle>({ style: "number" }, { style: "fraction" }, { style: "negative" }),
  unicodeText.map((text): IdStyle => ({ style: "string", text })),
);
const maybeId = fc.option(idStyle, { freq: 4, nil: null });

const single: fc.Arbitrary<Single> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("echo" as const),
      data: fc.oneof(
        { weight: 4, arbitrary: wellFormedText },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
      ),
      named: fc.boolean(),
      alias: fc.boolean(),
      id: maybeId,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("version" as const),
      params: fc.constantFrom("none" as const, "array" as const, "object" as const),
      id: maybeId,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("unknown" as const),
      method: unicodeText,
      id: maybeId,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("fail" as const), data: unicodeText, id: maybeId }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("nofn" as const), fn: unicodeText, id: idStyle }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("invalid" as const),
      variant: fc.nat({ max: 12 }),
      id: idStyle,
    }),
  },
);

const line: fc.Arbitrary<Line> = fc.oneof(
  { weight: 8, arbitrary: single.map((request): Line => ({ kind: "single", request })) },
  {
    weight: 2,
    arbitrary: fc.array(
      fc.oneof({ weight: 9, arbitrary: single }, {
        weight: 1,
        arbitrary: fc.constant<Single>({ kind: "nested-empty" }),
      }),
      { minLength: 1, maxLength: 4 },
    ).map((requests): Line => ({ kind: "batch", requests })),
  },
  { weight: 1, arbitrary: fc.constant<Line>({ kind: "empty-batch" }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("", " ", "\t", "\r", " \t ").map((text): Line => ({
      kind: "blank",
      text,
    })),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("parse-error" as const),
      data: unicodeText,
      cut: fc.nat(),
    }),
  },
);

/** Builds request values with unique ids, and the answer (its shape) each one is due. */
class Builder {
  #next = 1;

  constructor(readonly version: string) {}

  id(style: IdStyle): RpcId {
    const n = this.#next++;
    switch (style.style) {
      case "number":
        return n;
      case "fraction":
        return n + 0.25;
      case "negative":
        return -n;
      case "string":
        return `${n}:${style.text}`;
    }
  }

  /** A request value and its expected answer shape (null: no answer). */
  single(s: Single): { value: unknown; expect: unknown } {
    const ok = (result: unknown, id: RpcId) => ({ jsonrpc: "2.0", result, id });
    const err = (code: number, id: RpcId) => ({ jsonrpc: "2.0", error: { code }, id });
    const req = (method: string, params: unknown, style: IdStyle | null) => {
      const body: Record<string, unknown> = { jsonrpc: "2.0", method };
      if (params !== undefined) body.params = params;
      const id = style === null ? undefined : this.id(style);
      if (id !== undefined) body.id = id;
      return { body, id };
    };
    switch (s.kind) {
      case "echo": {
        const params = s.named ? { data: s.data, name: "echo" } : ["echo", s.data];
        const { body, id } = req(s.alias ? "evroute.run" : "evrexec.run", params, s.id);
        // Data that is not a string is passed as its JSON text (README).
        const arg = typeof s.data === "string"
          ? s.data
          : JSON.stringify(JSON.parse(JSON.stringify(s.data)));
        return {
          value: body,
          expect: id === undefined ? null : ok({ arg, evr: arg, type: "string" }, id),
        };
      }
      case "version": {
        const params = { none: undefined, array: [], object: {} }[s.params];
        const { body, id } = req("core.version", params, s.id);
        return { value: body, expect: id === undefined ? null : ok(this.version, id) };
      }
      case "unknown": {
        const { body, id } = req(`no.such.${s.method}`, undefined, s.id);
        return { value: body, expect: id === undefined ? null : err(-32601, id) };
      }
      case "fail": {
        const { body, id } = req("evrexec.run", ["fail", s.data], s.id);
        return { value: body, expect: id === undefined ? null : err(-32000, id) };
      }
      case "nofn": {
        const { body, id } = req("evrexec.run", [`nofn:${s.fn}`], s.id);
        return { value: body, expect: err(-32602, id!) };
      }
      case "nested-empty":
        return { value: [], expect: err(-32600, null) };
      case "invalid":
        return this.#invalid(s.variant, this.id(s.id), err);
    }
  }

  #invalid(
    variant: number,
    id: RpcId,
    err: (code: number, id: RpcId) => unknown,
  ): { value: unknown; expect: unknown } {
    const v = "2.0";
    const m = "core.version";
    const cases: [unknown, unknown][] = [
      [{ jsonrpc: "1.0", method: m, id }, err(-32600, id)],
      [{ method: m, id }, err(-32600, id)],
      [{ jsonrpc: v, method: 5, id }, err(-32600, id)],
      [{ jsonrpc: v, method: m, params: "x", id }, err(-32600, id)],
      [{ jsonrpc: v, method: m, params: null, id }, err(-32600, id)],
      [{ jsonrpc: v, method: m, id: { bad: id } }, err(-32600, null)],
      [42, err(-32600, null)],
      ["text", err(-32600, null)],
      [null, err(-32600, null)],
      // Not a valid request, so not a notification: answered, with a null id.
      [{ jsonrpc: "1.0", method: "x" }, err(-32600, null)],
      [{ jsonrpc: v, method: m, params: [1], id }, err(-32602, id)],
      [{ jsonrpc: v, method: "evrexec.run", params: [], id }, err(-32602, id)],
      [
        { jsonrpc: v, method: "evrexec.run", params: { name: "echo", bogus: 1 }, id },
        err(-32602, id),
      ],
    ];
    const [value, expect] = cases[variant % cases.length];
    return { value, expect };
  }

  /** One line's text (no terminator) and its expected answer shape. */
  line(l: Line): { text: string; expect: unknown } {
    switch (l.kind) {
      case "single": {
        const { value, expect } = this.single(l.request);
        return { text: JSON.stringify(value), expect };
      }
      case "batch": {
        const built = l.requests.map((r) => this.single(r));
        const expects = built.map((b) => b.expect).filter((e) => e !== null);
        return {
          text: JSON.stringify(built.map((b) => b.value)),
          expect: expects.length === 0 ? null : expects,
        };
      }
      case "empty-batch":
        return { text: "[]", expect: { jsonrpc: "2.0", error: { code: -32600 }, id: null } };
      case "blank":
        return { text: l.text, expect: null };
      case "parse-error": {
        // A proper prefix of a request object is never JSON.
        const full = JSON.stringify({
          jsonrpc: "2.0",
          method: "evrexec.run",
          params: ["echo", l.data],
          id: 1,
        });
        return {
          text: full.slice(0, 1 + l.cut % (full.length - 1)),
          expect: { jsonrpc: "2.0", error: { code: -32700 }, id: null },
        };
      }
    }
  }
}

/** A stream: lines with their terminators; the last may have none (the half-close ends it). */
const stream = fc.record({
  lines: fc.array(fc.tuple(line, fc.constantFrom("\n", "\n", "\r\n")), {
    minLength: 1,
    maxLength: 12,
  }),
  lastNewline: fc.boolean(),
});

type Cutting = { mode: "random" | "inside-chars" | "bytes"; cuts: number[] };
const cutting: fc.Arbitrary<Cutting> = fc.record({
  mode: fc.constantFrom(
    "random" as const,
    "random" as const,
    "inside-chars" as const,
    "bytes" as const,
  ),
  cuts: fc.array(fc.nat(), { maxLength: 24 }),
});
type Delay = "none" | "yield" | "1ms";
const delay = fc.constantFrom<Delay>("none", "yield", "1ms");

/** Splits `bytes` into chunks; "inside-chars" cuts every multi-byte character apart. */
function chunk(bytes: Uint8Array, { mode, cuts }: Cutting): Uint8Array[] {
  if (bytes.length < 2) return [bytes];
  let points: number[];
  if (mode === "bytes" && bytes.length <= 600) {
    points = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
  } else if (mode === "inside-chars") {
    points = [];
    for (let i = 1; i < bytes.length; i++) if ((bytes[i] & 0xc0) === 0x80) points.push(i);
    points.push(...cuts.map((c) => 1 + c % (bytes.length - 1)));
  } else {
    points = cuts.map((c) => 1 + c % (bytes.length - 1));
  }
  points = [...new Set(points)].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(at, p));
    at = p;
  }
  chunks.push(bytes.subarray(at));
  return chunks;
}

async function pause(kind: Delay): Promise<void> {
  if (kind === "yield") await sleep(0);
  else if (kind === "1ms") await sleep(1);
}

/** Sends `chunks` on a fresh connection, half-closes, and returns every answer. */
async function exchange(host: TestHost, chunks: Uint8Array[], kind: Delay): Promise<unknown[]> {
  const raw = await RawClient.connect(host.socket);
  try {
    // Many chunks are written back to back (a delay each would make a run slow).
    const wait = chunks.length > 150 ? "none" : kind;
    for (const [i, c] of chunks.entries()) {
      await raw.send(c);
      if (i < chunks.length - 1) await pause(wait);
    }
    await raw.closeWrite();
    assert.ok(await raw.waitEnd(20_000), "the host did not end the half-closed connection");
    return raw.answers();
  } finally {
    await raw.close();
  }
}

/** The host's core.version answer, through a fresh connection, within `timeoutMs`. */
async function probe(host: TestHost, version: string, timeoutMs = 5_000): Promise<void> {
  const raw = await RawClient.connect(host.socket);
  try {
    await raw.send(request("probe", "core.version"));
    const [answer] = await raw.lines(1, timeoutMs);
    assert.deepEqual(answer, { jsonrpc: "2.0", result: version, id: "probe" });
  } finally {
    await raw.close();
  }
}

function assertAlive(host: TestHost): void {
  assert.ok(!host.hasExited && processExists(host.pid), `the host died; its log:\n${host.log}`);
  assert.doesNotMatch(host.log, /uncaught|panic/i, "the host logged a crash");
}

async function hostVersion(host: TestHost): Promise<string> {
  const version = await host.call("core.version");
  assert.equal(typeof version, "string");
  return version as string;
}

// ---------------------------------------------------------------------------
// (a) Chunking never changes the answers
// ---------------------------------------------------------------------------

Deno.test(
  "property (a): any split of a request stream gets the same answers as one write",
  withHost(RPC, {}, async (host) => {
    const version = await hostVersion(host);
    await fc.assert(
      fc.asyncProperty(stream, cutting, delay, async (s, cut, kind) => {
        const builder = new Builder(version);
        const built = s.lines.map(([l, end]) => ({ ...builder.line(l), end }));
        const text = built.map((b, i) =>
          b.text + (i < built.length - 1 || s.lastNewline ? b.end : "")
        ).join("");
        const bytes = encoder.encode(text);
        const expected = built.map((b) => b.expect).filter((e) => e !== null);
        const [whole, split] = await Promise.all([
          exchange(host, [bytes], "none"),
          exchange(host, chunk(bytes, cut), kind),
        ]);
        assert.deepEqual(multiset(split), multiset(whole), "split vs one write");
        assert.deepEqual(multiset(whole.map(shape)), multiset(expected), "one write vs the model");
      }),
      { numRuns: 60 },
    );
    assertAlive(host);
  }),
);

Deno.test(
  "property (a2): evrexec.run hands the function its data unchanged, lone surrogates too",
  withHost(RPC, {}, async (host) => {
    // README: `data` is the function's only argument and `$evr(data)`. A lone
    // surrogate is valid in JSON text ("\ud800") and in a JS string.
    await fc.assert(
      fc.asyncProperty(unicodeText, fc.boolean(), async (data, named) => {
        const params = named ? { name: "echo", data } : ["echo", data];
        const raw = await RawClient.connect(host.socket);
        try {
          await raw.send(request(7, "evrexec.run", params));
          const [answer] = await raw.lines(1, 20_000);
          assert.deepEqual(answer, {
            jsonrpc: "2.0",
            result: { arg: data, evr: data, type: "string" },
            id: 7,
          });
        } finally {
          await raw.close();
        }
      }),
      { numRuns: 60 },
    );
    assertAlive(host);
  }),
);

// ---------------------------------------------------------------------------
// (b) Hostile input never crashes the host nor blocks other clients
// ---------------------------------------------------------------------------

type DeepKind = "open-array" | "array" | "object" | "open-object" | "echo-data" | "params" | "id";

type Hostile =
  | { kind: "bytes"; bytes: Uint8Array }
  | { kind: "byte-lines"; lines: Uint8Array[] }
  | { kind: "truncated"; data: string; cut: number; newline: boolean }
  | { kind: "bad-utf8"; data: string; at: number; seq: number[] }
  | { kind: "deep"; shape: DeepKind; depth: number };

/** Byte sequences that are not UTF-8. */
const INVALID_UTF8 = [
  [0x80], // a lone continuation byte
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0x80], // overlong NUL
  [0xe0, 0x80, 0x80], // overlong
  [0xed, 0xa0, 0x80], // an encoded surrogate
  [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
  [0xe2, 0x82], // cut short
  [0xf0, 0x9f, 0x98], // cut short
  [0xc3],
];

const hostile: fc.Arbitrary<Hostile> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((bytes): Hostile => ({
      kind: "bytes",
      bytes,
    })),
  },
  {
    weight: 2,
    arbitrary: fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 16 }).map((
      lines,
    ): Hostile => ({ kind: "byte-lines", lines })),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("truncated" as const),
      data: unicodeText,
      cut: fc.nat(),
      newline: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("bad-utf8" as const),
      data: unicodeText,
      at: fc.nat(),
      seq: fc.constantFrom(...INVALID_UTF8),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("deep" as const),
      shape: fc.constantFrom<DeepKind>(
        "open-array",
        "array",
        "object",
        "open-object",
        "echo-data",
        "params",
        "id",
      ),
      depth: fc.oneof(fc.constant(100_000), fc.integer({ min: 1_000, max: 100_000 })),
    }),
  },
);

/** A hostile piece's bytes, and the answer shapes it is known to get (when whole lines). */
function hostileBytes(h: Hostile, n: number): { bytes: Uint8Array; known: unknown[] } {
  const err = (code: number, id: RpcId) => ({ jsonrpc: "2.0", error: { code }, id });
  switch (h.kind) {
    case "bytes":
      return { bytes: h.bytes, known: [] };
    case "byte-lines":
      return { bytes: concatBytes(h.lines.flatMap((l) => [l, [10]])), known: [] };
    case "truncated": {
      const full = encoder.encode(request(`t${n}`, "evrexec.run", ["echo", h.data]).trim());
      const cut = h.cut % full.length; // a proper prefix, possibly inside a character
      return { bytes: concatBytes([full.subarray(0, cut), h.newline ? [10] : []]), known: [] };
    }
    case "bad-utf8": {
      const full = encoder.encode(request(`u${n}`, "evrexec.run", ["echo", h.data]));
      const at = h.at % full.length; // anywhere, also inside a character or a token
      return {
        bytes: concatBytes([full.subarray(0, at), h.seq, full.subarray(at)]),
        known: [],
      };
    }
    case "deep": {
      const d = h.depth;
      const array = "[".repeat(d) + "]".repeat(d);
      const object = '{"a":'.repeat(d) + "1" + "}".repeat(d);
      const id = `d${n}`;
      const cases: Record<DeepKind, [string, unknown]> = {
        "open-array": ["[".repeat(d), err(-32700, null)],
        "array": [array, [err(-32600, null)]],
        "object": [object, err(-32600, null)],
        "open-object": ['{"a":'.repeat(d), err(-32700, null)],
        "echo-data": [
          `{"jsonrpc":"2.0","method":"evrexec.run","params":["echo",${array}],"id":"${id}"}`,
          { jsonrpc: "2.0", result: { arg: array, evr: array, type: "string" }, id },
        ],
        "params": [
          `{"jsonrpc":"2.0","method":"core.version","params":${object},"id":"${id}"}`,
          err(-32602, id),
        ],
        "id": [`{"jsonrpc":"2.0","method":"core.version","id":${array}}`, err(-32600, null)],
      };
      const [text, known] = cases[h.shape];
      // On a line of its own, so its answer is known.
      return { bytes: encoder.encode(`\n${text}\n`), known: [known] };
    }
  }
}

Deno.test(
  "property (b): hostile input never crashes the host and never blocks other clients",
  withHost(RPC, {}, async (host) => {
    const version = await hostVersion(host);
    await fc.assert(
      fc.asyncProperty(
        fc.array(hostile, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        cutting,
        fc.constantFrom("half-close", "half-close", "stall", "reset"),
        async (pieces, after, cut, ending) => {
          const built = pieces.map((p, i) => hostileBytes(p, i));
          const parts = built.map((b) => b.bytes);
          const known = built.flatMap((b) => b.known);
          if (after) {
            // A good request after the garbage, on a line of its own.
            parts.push(encoder.encode("\n" + request("after", "core.version")));
            known.push({ jsonrpc: "2.0", result: version, id: "after" });
          }
          const bytes = concatBytes(parts);
          const raw = await RawClient.connect(host.socket);
          try {
            for (const c of chunk(bytes, cut.mode === "bytes" ? { ...cut, mode: "random" } : cut)) {
              await raw.send(c);
            }
            if (ending === "reset") await raw.close();
            // Another client is served meanwhile.
            await probe(host, version);
            if (ending !== "half-close") return;
            await raw.closeWrite();
            assert.ok(await raw.waitEnd(20_000), "the host did not end the half-closed connection");
            const answers = raw.answers();
            answers.forEach((a, i) => assertAnswerLine(a, `answer ${i}`));
            assert.equal(answers.length, answersForStream(bytes), "one answer per line");
            const got = multiset(answers.map(shape));
            for (const k of known) {
              assert.ok(got.includes(answerKey(k)), `missing ${answerKey(k).slice(0, 200)}`);
            }
          } finally {
            await raw.close();
          }
        },
      ),
      { numRuns: 60 },
    );
    await probe(host, version);
    assertAlive(host);
  }),
);

Deno.test(
  "property (b2): a line of up to 1 MiB is served, a longer one is refused and closed",
  withHost(RPC, {}, async (host) => {
    const version = await hostVersion(host);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.integer({ min: MAX_LINE_BYTES - 2, max: MAX_LINE_BYTES + 2 }),
          fc.integer({ min: MAX_LINE_BYTES - 4096, max: MAX_LINE_BYTES + 4096 }),
        ),
        fc.boolean(),
        async (length, newline) => {
          // An echo request of exactly `length` bytes (its newline not counted).
          const head = '{"jsonrpc":"2.0","method":"evrexec.run","params":["echo","';
          const tail = '"],"id":1}';
          const data = "x".repeat(length - head.length - tail.length);
          const raw = await RawClient.connect(host.socket);
          try {
            await raw.send(head + data + tail + (newline ? "\n" : "")).catch(() => {});
            if (length <= MAX_LINE_BYTES) {
              await raw.closeWrite();
              const [answer] = await raw.lines(1, 20_000);
              assert.deepEqual(answer, {
                jsonrpc: "2.0",
                result: { arg: data, evr: data, type: "string" },
                id: 1,
              });
            } else {
              const [answer] = await raw.lines(1, 20_000) as { error?: { code: number } }[];
              assert.equal(answer.error?.code, -32600);
              assert.ok(await raw.waitEnd(20_000), "the connection is closed");
            }
            await probe(host, version);
          } finally {
            await raw.close();
          }
        },
      ),
      { numRuns: 8 },
    );
    assertAlive(host);
  }),
);

// ---------------------------------------------------------------------------
// (b') README: "-32700 the line is not JSON (also invalid UTF-8 ...)"
// ---------------------------------------------------------------------------

Deno.test(
  "property (b'): a line with invalid UTF-8 inside a JSON string is answered -32700",
  withHost(RPC, {}, async (host) => {
    await fc.assert(
      fc.asyncProperty(
        unicodeText,
        fc.nat(),
        fc.constantFrom(...INVALID_UTF8),
        async (data, at, seq) => {
          // The invalid bytes go between two characters of the echo data.
          const chars = [...data];
          const split = at % (chars.length + 1);
          const left = JSON.stringify(chars.slice(0, split).join("")).slice(0, -1);
          const right = JSON.stringify(chars.slice(split).join("")).slice(1);
          const bytes = concatBytes([
            encoder.encode(`{"jsonrpc":"2.0","method":"evrexec.run","params":["echo",${left}`),
            seq,
            encoder.encode(`${right}],"id":1}\n`),
          ]);
          const raw = await RawClient.connect(host.socket);
          try {
            await raw.send(bytes);
            await raw.closeWrite();
            assert.ok(await raw.waitEnd(20_000), "the host did not end the half-closed connection");
            const answers = raw.answers();
            assert.deepEqual(
              answers.map(shape),
              [{ jsonrpc: "2.0", error: { code: -32700 }, id: null }],
              `the host ran the request; it answered ${raw.text.trim()}`,
            );
          } finally {
            await raw.close();
          }
        },
      ),
      { numRuns: 30 },
    );
    assertAlive(host);
  }),
);
