// The BINRPC codec against what kamcmd and Kamailio 5.6.3 really sent
// (tests/fixtures/kamailio/binrpc_*.json): every kamcmd request decodes to
// the method and params of its command line, and every reply Kamailio wrote
// is written again byte for byte from its decoded values (field for field
// where Kamailio's choice of record type is its own).
import assert from "node:assert/strict";
import {
  type BinrpcRecord,
  decodeReply,
  decodeRequest,
  encodeFault,
  encodeReply,
  encodeRequest,
  recordValue,
  unknownMethodFault,
} from "../../src/rpc/kamailio/binrpc.ts";
import {
  kamcmdExchanges,
  rawBinrpcExchanges,
  tohex,
  unhex,
} from "../fixtures/kamailio/recorded.ts";

// ---------------------------------------------------------------------------
// A model of kamcmd's command line (utils/kamcmd/kamcmd.c: aliases, parse_arg)
// ---------------------------------------------------------------------------

const ALIASES: Record<string, string> = {
  ps: "core.ps",
  psx: "core.psx",
  list: "system.listMethods",
  ls: "system.listMethods",
  ver: "core.version",
  version: "core.version",
};

/** An argument as kamcmd sends it: strtol takes it all → int, strtod → double, else string. */
function kamcmdArg(arg: string): { kind: string; value: unknown } {
  if (arg === "" || /^\s*[+-]?\d+$/.test(arg)) return { kind: "int", value: Number(arg) };
  if (/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(arg)) {
    return { kind: "double", value: Number(arg) };
  }
  return { kind: "str", value: arg.startsWith("s:") ? arg.slice(2) : arg };
}

/** Method and params of a recorded command line (`kamcmd -s unix:PATH [--] method args…`). */
function commandLine(command: readonly string[]) {
  const args = command.slice(3);
  if (args[0] === "--") args.shift();
  const [method, ...rest] = args;
  return { method: ALIASES[method] ?? method, params: rest.map(kamcmdArg) };
}

/** A decoded reply's records as one JS result, the shape encodeReply takes. */
function resultOf(records: readonly BinrpcRecord[]): unknown {
  const values = records.map(recordValue);
  if (values.length === 0) return null;
  if (values.length === 1 && !Array.isArray(values[0])) return values[0];
  return values;
}

/** Lenient structs of plain values (Kamailio's arrays) as arrays. */
function plain(record: BinrpcRecord): unknown {
  if (record.type !== "struct") return recordValue(record);
  if (record.members.length > 0 && record.members.every((m) => m.name === null)) {
    return record.members.map((m) => plain(m.value));
  }
  return Object.fromEntries(record.members.map((m) => [m.name, plain(m.value)]));
}

// Kamailio writes shm.info and shm.stats members with 'j', as fixed-point
// doubles even when integral; this codec writes an integral number as an int.
const DOUBLES_BY_CHOICE = new Set(["shm_info", "shm_stats"]);

const sent = kamcmdExchanges().filter((e) => e.request_hex !== "");

Deno.test("binrpc: every recorded kamcmd request decodes to its command line's method and params", () => {
  assert.ok(sent.length >= 25, `${sent.length} recorded requests`);
  for (const exchange of sent) {
    const bytes = unhex(exchange.request_hex);
    const got = decodeRequest(bytes);
    assert.equal(got.kind, "request", exchange.name);
    if (got.kind !== "request") continue;
    assert.equal(got.frameBytes, bytes.length, exchange.name);
    const expected = commandLine(exchange.command);
    assert.equal(got.request.method, expected.method, exchange.name);
    assert.deepEqual(got.request.kinds, expected.params.map((p) => p.kind), exchange.name);
    assert.deepEqual(got.request.params, expected.params.map((p) => p.value), exchange.name);
  }
});

Deno.test("binrpc: encodeRequest writes each recorded request byte for byte as kamcmd did", () => {
  for (const exchange of sent) {
    const got = decodeRequest(unhex(exchange.request_hex));
    if (got.kind !== "request") throw new Error(exchange.name);
    const { cookie, method, params } = got.request;
    const frame = encodeRequest(cookie, method, params as (string | number)[]);
    assert.ok(frame, exchange.name);
    assert.equal(tohex(frame), exchange.request_hex, exchange.name);
  }
});

Deno.test("binrpc: every recorded Kamailio reply and fault is written again byte for byte", () => {
  let same = 0;
  for (const exchange of sent) {
    const reply = decodeReply(unhex(exchange.reply_hex));
    assert.ok(reply.kind === "reply" || reply.kind === "fault", exchange.name);
    if (reply.kind !== "reply" && reply.kind !== "fault") continue;
    let frame: Uint8Array;
    if (reply.kind === "fault") {
      const [code, message] = reply.records.map(recordValue);
      frame = encodeFault(reply.cookie, code as number, message as string);
    } else {
      const encoded = encodeReply(reply.cookie, resultOf(reply.records));
      assert.ok(encoded.ok, exchange.name);
      frame = encoded.frame;
    }
    if (DOUBLES_BY_CHOICE.has(exchange.name)) {
      const ours = decodeReply(frame);
      assert.ok(ours.kind === "reply");
      assert.deepEqual(ours.records.map(plain), reply.records.map(plain), exchange.name);
      assert.notEqual(tohex(frame), exchange.reply_hex, "Kamailio's doubles stay its own");
    } else {
      assert.equal(tohex(frame), exchange.reply_hex, exchange.name);
      same++;
    }
  }
  assert.ok(same >= 23, `${same} replies byte for byte`);
});

Deno.test("binrpc: the recorded faults, and unknownMethodFault, say what kamcmd printed", () => {
  const unknown = kamcmdExchanges().find((e) => e.name === "evroute_run_unknown")!;
  const reply = decodeReply(unhex(unknown.reply_hex));
  assert.equal(reply.kind, "fault");
  if (reply.kind !== "fault") return;
  assert.equal(unknown.kamcmd_stdout, "error: 500 - command evroute.run not found\n");
  assert.equal(tohex(unknownMethodFault(reply.cookie, "evroute.run")), unknown.reply_hex);
  assert.equal(unknown.kamcmd_exit, 0, "kamcmd exits 0 after a fault");
});

Deno.test("binrpc: hand-made frames get the error kinds, cookies and fault codes Kamailio gave", () => {
  const expected: Record<string, string> = {
    bad_magic: "bad_magic",
    bad_version: "bad_magic",
    reply_type: "unexpected_frame_type",
    bad_type: "bad_frame_type",
    method_int: "bad_method",
    empty_body: "bad_method",
    method_no_nul: "bad_string", // Kamailio drops the last byte and looks for "core."
  };
  for (const exchange of rawBinrpcExchanges()) {
    const kind = expected[exchange.name];
    if (kind === undefined) continue;
    const got = decodeRequest(unhex(exchange.request_hex!));
    assert.equal(got.kind, "error", exchange.name);
    if (got.kind !== "error") continue;
    assert.equal(got.error.kind, kind, exchange.name);
    const theirs = decodeReply(unhex(exchange.reply_hex));
    assert.ok(theirs.kind === "fault", exchange.name);
    assert.equal(got.error.cookie, theirs.cookie, `${exchange.name}: the cookie Kamailio answered`);
    if (exchange.name !== "method_no_nul") {
      assert.equal(got.error.faultCode, recordValue(theirs.records[0]), exchange.name);
      assert.equal(exchange.server_closed, true, `${exchange.name}: Kamailio closed`);
    }
  }
});

Deno.test("binrpc: pipelined, split, short-cookie and incomplete frames", () => {
  const raw = Object.fromEntries(rawBinrpcExchanges().map((e) => [e.name, e]));
  const two = unhex(raw.pipelined.request_hex!);
  const first = decodeRequest(two);
  assert.ok(first.kind === "request");
  assert.deepEqual([first.request.method, first.request.cookie], ["core.version", 1]);
  const second = decodeRequest(two.subarray(first.frameBytes));
  assert.ok(second.kind === "request");
  assert.deepEqual([second.request.method, second.request.cookie], ["core.uptime", 2]);
  assert.equal(first.frameBytes + second.frameBytes, two.length);

  const oneByte = decodeRequest(unhex(raw.cookie_1byte.request_hex!));
  assert.ok(oneByte.kind === "request");
  const version = "kamailio 5.6.3 (x86_64/linux) ";
  const reply = encodeReply(oneByte.request.cookie, version);
  assert.ok(reply.ok);
  assert.equal(
    tohex(reply.frame),
    raw.cookie_1byte.reply_hex,
    "a 1-byte cookie answered on 1 byte",
  );
  const zero = decodeRequest(unhex(raw.cookie_zero.request_hex!));
  assert.ok(zero.kind === "request");
  const zeroReply = encodeReply(zero.request.cookie, version);
  assert.ok(zeroReply.ok);
  assert.equal(tohex(zeroReply.frame), raw.cookie_zero.reply_hex);

  const half = decodeRequest(unhex(raw.truncated_close.request_hex!));
  assert.deepEqual(half, { kind: "more", need: 14 });
  const declared = decodeRequest(unhex(raw.long_frame_len.request_hex!));
  assert.deepEqual(declared, { kind: "more", need: 60_008 - 23 });
  const big = decodeRequest(unhex(raw.over_stream_buffer.request_hex_head!));
  assert.ok(
    big.kind === "error" && big.error.kind === "frame_too_large",
    "refused from its header",
  );
  assert.equal(big.kind === "error" && big.error.cookie, 0x01020304);
});

Deno.test("binrpc: ints, doubles and strings are written on Kamailio's byte counts", () => {
  const body = (value: unknown) => {
    const encoded = encodeReply(7, [value]);
    assert.ok(encoded.ok);
    return tohex(encoded.frame.subarray(4));
  };
  assert.equal(body(0), "00");
  assert.equal(body(7), "1007");
  assert.equal(body(0x1234), "201234");
  assert.equal(body(-1), "40ffffffff");
  assert.equal(body(2147483647), "407fffffff");
  assert.equal(body(2.5), "2209c4", "fixed point: 2500");
  assert.equal(body(-2.5), "82fffffffffffff63c", "negative: 8 bytes");
  assert.equal(body(4294967296), "6203e800000000", "past int32: a double");
  assert.equal(body(1e300), "7131652b33303000", "past a double record: its string");
  assert.equal(body(true), "1001");
  assert.equal(body(false), "00");
  assert.equal(body(""), "1100");
  assert.equal(body("abcdef"), "7161626364656600", "7 bytes with the NUL: in the head");
  assert.equal(body("abcdefg"), "910861626364656667" + "00", "8 bytes: a length byte");
  assert.equal(body(new Uint8Array([1, 2])), "260102", "bytes: no NUL");
  assert.equal(body(null), "910e3c6e756c6c20737472696e673e00", "Kamailio's <null string>");
});

Deno.test("binrpc: objects are structs, arrays inside them structs of plain values", () => {
  const encoded = encodeReply(1, { a: [1, "x"], b: { c: null }, skip: undefined });
  assert.ok(encoded.ok);
  const expected = "03" + "2561" + "00" + "03" + "1001" + "217800" + "83" + "2562" + "00" + "03" +
    "2563" + "00" + "910e3c6e756c6c20737472696e673e00" + "83" + "83";
  assert.equal(tohex(encoded.frame.subarray(4)), expected);
  const empty = encodeReply(0x29e10434, undefined);
  assert.ok(empty.ok);
  assert.equal(tohex(empty.frame), "a1130029e10434", "an empty reply, as evrexec.run's");
});

Deno.test("binrpc: replies past the limits are refused as values, never thrown", () => {
  const large = encodeReply(5, "x".repeat(200_000));
  assert.ok(!large.ok && large.error.kind === "reply_too_large" && large.error.faultCode === 500);
  assert.equal(large.error.cookie, 5);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const deep = encodeReply(5, cyclic);
  assert.ok(!deep.ok && deep.error.kind === "reply_too_large");
  const small = encodeReply(5, ["a", "b"], { maxFrameBytes: 15, maxDepth: 4 });
  assert.ok(!small.ok);
  const fits = encodeReply(5, ["a", "b"], { maxFrameBytes: 16, maxDepth: 4 });
  assert.ok(fits.ok, "the limit counts the header at its largest (10 bytes)");
});

Deno.test("binrpc: a fault message is cut to 255 bytes on a character boundary", () => {
  const frame = encodeFault(3, 500, "é".repeat(300));
  const got = decodeReply(frame);
  assert.ok(got.kind === "fault");
  const message = recordValue(got.records[1]) as string;
  assert.equal(message, "é".repeat(127), "254 bytes: a 128th é would make 256");
  assert.equal(recordValue(got.records[0]), 500);
});

Deno.test("binrpc: nested params decode within the depth limit, and not past it", () => {
  const nested = (depth: number) => {
    const body = [0x91, 0x0c, ...new TextEncoder().encode("core.printi"), 0];
    for (let i = 0; i < depth; i++) body.push(0x04);
    body.push(0x10, 0x01);
    for (let i = 0; i < depth; i++) body.push(0x84);
    return new Uint8Array([0xa1, 0x04, 0, body.length, 9, ...body]);
  };
  const ok = decodeRequest(nested(8));
  assert.ok(ok.kind === "request");
  assert.deepEqual(ok.request.params, [[[[[[[[[1]]]]]]]]]);
  const deep = decodeRequest(nested(9));
  assert.ok(deep.kind === "error" && deep.error.kind === "too_deep" && deep.error.cookie === 9);
  const named = new Uint8Array([
    0xa1,
    0x00,
    0x13,
    0x01,
    0x21,
    0x6d,
    0x00,
    0x03,
    0x95,
    0x0a,
    ...new TextEncoder().encode("__proto__"),
    0x00,
    0x10,
    0x05,
    0x83,
  ]);
  const proto = decodeRequest(named);
  assert.ok(proto.kind === "request");
  const param = proto.request.params[0] as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(param), Object.prototype, "no prototype was set");
  assert.deepEqual(Object.keys(param), ["__proto__"]);
});
