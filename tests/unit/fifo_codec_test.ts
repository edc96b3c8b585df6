// The jsonrpcs FIFO codec against what kamctl and Kamailio 5.6.3 really
// wrote (tests/fixtures/kamailio/fifo_*.json): kamctl's requests are cut and
// read as kamctl built them, every reply Kamailio wrote is printed again
// byte for byte, and the reply FIFO's name and file are checked as the
// module says.
import assert from "node:assert/strict";
import { type FifoScanEvent, FifoScanner } from "../../src/rpc/kamailio/fifo_scanner.ts";
import { parseFifoRequest } from "../../src/rpc/kamailio/fifo_request.ts";
import {
  formatFifoReply,
  formatKamailioJson,
  kamailioNumber,
} from "../../src/rpc/kamailio/fifo_reply.ts";
import {
  checkOpenedReplyFifo,
  checkReplyDir,
  checkReplyName,
  type FileFacts,
  replyFifoPath,
} from "../../src/rpc/kamailio/fifo_reply_fifo.ts";
import { kamctlExchanges, rawFifoExchanges, unhex } from "../fixtures/kamailio/recorded.ts";

/** A param as kamctl's rpcparamval writes it: s: string, i: number, a number if printf %f takes it. */
function kamctlParam(arg: string): unknown {
  if (arg.startsWith("s:")) return arg.slice(2);
  if (arg.startsWith("i:")) return Number(arg.slice(2));
  return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(arg) ? Number(arg) : arg;
}

/** kamctl's request for `kamctl rpc METHOD ARGS…`: params up to the first empty one. */
function kamctlRequest(command: readonly string[]) {
  const [method, ...args] = command.slice(2);
  const end = args.indexOf("");
  const params = (end < 0 ? args : args.slice(0, end)).map(kamctlParam);
  return { method, params: params.length > 0 ? params : undefined };
}

function scanAll(bytes: Uint8Array, max?: number): FifoScanEvent[] {
  const scanner = new FifoScanner(max);
  return [...scanner.push(bytes), ...scanner.end()];
}

/** The replies in a recorded reply text (two when two requests were answered into one FIFO). */
function replies(text: string): string[] {
  return text === "" ? [] : text.split(/(?<=\n\})(?=\{)/);
}

Deno.test("fifo: every recorded kamctl request is one document, read as kamctl built it", () => {
  const exchanges = kamctlExchanges();
  assert.ok(exchanges.length >= 12);
  for (const exchange of exchanges) {
    const events = scanAll(unhex(exchange.request_hex));
    assert.equal(events.length, 1, exchange.name);
    const [event] = events;
    assert.ok(event.kind === "document", exchange.name);
    const got = parseFifoRequest(event.bytes);
    assert.ok(got.ok, exchange.name);
    const pid = /"id": (\d+)/.exec(exchange.request_text)![1];
    assert.equal(got.replyName, `kamailio_receiver_${pid}`, "kamctl names its FIFO by its pid");
    assert.equal(got.call.id, Number(pid), "and uses its pid as the id");
    const expected = kamctlRequest(exchange.command);
    assert.equal(got.call.method, expected.method, exchange.name);
    assert.deepEqual(got.call.params, expected.params, exchange.name);
    assert.deepEqual(exchange.server_opens.at(-1)?.path, `/tmp/kamailio_receiver_${pid}`);
  }
});

Deno.test("fifo: every reply Kamailio wrote is printed again byte for byte", () => {
  const texts = [...kamctlExchanges(), ...rawFifoExchanges()].flatMap((e) => replies(e.reply_text));
  assert.ok(texts.length >= 25, `${texts.length} replies`);
  for (const text of texts) {
    const printed = formatFifoReply(JSON.parse(text));
    assert.ok(printed.ok);
    assert.equal(printed.text, text);
  }
  const shuffled = formatFifoReply({ id: 3, result: [1, "a"], jsonrpc: "2.0" });
  assert.ok(shuffled.ok);
  assert.equal(shuffled.text, '{\n\t"jsonrpc":\t"2.0",\n\t"result":\t[1, "a"],\n\t"id":\t3\n}');
});

Deno.test("fifo: the seed's command, as kamctl sends it, and Kamailio's answer", () => {
  const seed = kamctlExchanges().find((e) => e.name === "seed_evroute_run")!;
  assert.deepEqual(seed.command, ["kamctl", "rpc", "evroute.run", "evroute:test", "mydata"]);
  assert.match(
    seed.request_text,
    /^\{"jsonrpc": "2\.0", "method": "evroute\.run", "params": \["evroute:test", "mydata"\], "reply_name": "kamailio_receiver_\d+", "id": \d+\}\n$/,
  );
  assert.match(
    seed.reply_text,
    /"error":\t\{\n\t\t"code":\t500,\n\t\t"message":\t"Method Not Found"/,
  );
});

Deno.test("fifo: hand-made requests: what is answered, where, and what cannot be", () => {
  const raw = Object.fromEntries(rawFifoExchanges().map((e) => [e.name, e]));
  const documents = (name: string) => scanAll(unhex(raw[name].request_hex));
  const parsed = (name: string) => {
    const docs = documents(name).filter((e) => e.kind === "document");
    return docs.map((e) => parseFifoRequest(e.kind === "document" ? e.bytes : new Uint8Array()));
  };
  for (const name of ["pretty_multiline", "string_id", "no_id", "braces_in_strings", "float_id"]) {
    const [got] = parsed(name);
    assert.ok(got.ok && got.replyName === "kamcapreply", name);
  }
  const [braces] = parsed("braces_in_strings");
  assert.ok(braces.ok);
  assert.deepEqual(braces.call.params, ["}{", 'a"}b']);
  const [noId] = parsed("no_id");
  assert.ok(noId.ok && noId.call.id === undefined, "no id: answered without one, as Kamailio");
  assert.deepEqual(parsed("two_in_one_write").map((g) => g.ok && g.call.id), [1, 2]);

  const [notJson] = parsed("invalid_json");
  assert.ok(!notJson.ok && notJson.replyName === null && notJson.code === -32700);
  for (const name of ["reply_name_with_slash", "reply_name_with_dot"]) {
    const [got] = parsed(name);
    assert.ok(!got.ok && got.replyName === null && got.code === -32600, name);
    assert.equal(raw[name].reply_text, "", "Kamailio did not answer either");
  }
  const [badParams] = parsed("params_string");
  assert.ok(!badParams.ok && badParams.replyName === "kamcapreply" && badParams.id === 1);
  // Kamailio keeps leading junk in the document and fails it; this scanner drops it.
  const garbage = documents("leading_garbage");
  assert.deepEqual(garbage[0], { kind: "junk", bytes: 2, sample: "xx" });
  assert.equal(garbage[1].kind, "document");
});

Deno.test("fifo: an oversized request is skipped whole; the next one is read (Kamailio stops answering)", () => {
  const raw = Object.fromEntries(rawFifoExchanges().map((e) => [e.name, e]));
  const scanner = new FifoScanner(8191);
  const huge = scanner.push(unhex(raw.huge_request.request_hex));
  assert.deepEqual(huge, [{
    kind: "oversized",
    bytes: unhex(raw.huge_request.request_hex).length,
  }]);
  const next = scanner.push(unhex(raw.after_huge.request_hex));
  assert.equal(next.length, 1);
  const got = parseFifoRequest(next[0].kind === "document" ? next[0].bytes : new Uint8Array());
  assert.ok(got.ok && got.call.method === "core.version" && got.call.id === 2);
  assert.equal(raw.after_huge.reply_text, "", "Kamailio wrote nothing");
});

Deno.test("fifo: the recorded streams give the same documents however they are chunked", () => {
  for (const exchange of [...kamctlExchanges(), ...rawFifoExchanges()]) {
    const bytes = unhex(exchange.request_hex);
    const whole = JSON.stringify(scanAll(bytes, 8191));
    for (let cut = 1; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 40))) {
      const scanner = new FifoScanner(8191);
      const events = [
        ...scanner.push(bytes.subarray(0, cut)),
        ...scanner.push(bytes.subarray(cut)),
        ...scanner.end(),
      ];
      assert.equal(JSON.stringify(events), whole, `${exchange.name} cut at ${cut}`);
    }
  }
});

Deno.test("fifo: a writer that closes mid-request leaves one truncated event, and a fresh start", () => {
  const scanner = new FifoScanner();
  assert.deepEqual(scanner.push(new TextEncoder().encode('{"jsonrpc": "2.0", "me')), []);
  assert.deepEqual(scanner.end(), [{ kind: "truncated", bytes: 22 }]);
  const next = scanner.push(new TextEncoder().encode(' {"a": 1}'));
  assert.equal(next.length, 1);
  assert.equal(next[0].kind, "document");
});

Deno.test("fifo: reply names are plain file names, and the path joins them to the directory", () => {
  assert.equal(checkReplyName("kamailio_receiver_4242"), null);
  for (
    const bad of ["", "a/b", "a.b", "..", "a\\b", "a\nb", "a\u0000b", "x".repeat(128), 5, null]
  ) {
    assert.notEqual(checkReplyName(bad), null, JSON.stringify(bad));
  }
  assert.equal(checkReplyName("é".repeat(63)), null, "126 bytes");
  assert.notEqual(checkReplyName("é".repeat(64)), null, "128 bytes");
  assert.equal(replyFifoPath("/tmp/", "r"), "/tmp/r");
  assert.equal(replyFifoPath("/run/x", "r"), "/run/x/r");
});

const FIFO: FileFacts = {
  isFifo: true,
  isSymlink: false,
  isDirectory: false,
  nlink: 1,
  uid: 1000,
  mode: 0o10622,
  dev: 64,
  ino: 77,
};

Deno.test("fifo: the opened reply FIFO must be a FIFO, alone, the same file, of an allowed owner", () => {
  assert.equal(checkOpenedReplyFifo(FIFO, FIFO, [1000]), null);
  assert.match(checkOpenedReplyFifo({ ...FIFO, isFifo: false }, FIFO, [1000])!, /not a FIFO/);
  assert.match(checkOpenedReplyFifo({ ...FIFO, nlink: 2 }, FIFO, [1000])!, /hard-linked/);
  assert.match(checkOpenedReplyFifo(FIFO, { ...FIFO, isSymlink: true }, [1000])!, /symbolic/);
  assert.match(checkOpenedReplyFifo(FIFO, { ...FIFO, ino: 78 }, [1000])!, /changed/);
  assert.match(checkOpenedReplyFifo(FIFO, FIFO, [0, 33])!, /owner \(uid 1000\)/);
  assert.match(checkOpenedReplyFifo({ ...FIFO, ino: null }, FIFO, [1000])!, /inode/);
});

Deno.test("fifo: the reply directory: a directory, sticky when all may write into it", () => {
  const dir = { ...FIFO, isFifo: false, isDirectory: true };
  assert.equal(checkReplyDir({ ...dir, mode: 0o41777 }), null, "/tmp");
  assert.equal(checkReplyDir({ ...dir, mode: 0o40750 }), null);
  assert.match(checkReplyDir({ ...dir, mode: 0o40777 })!, /sticky/);
  assert.match(checkReplyDir({ ...dir, isDirectory: false })!, /not a directory/);
  assert.match(checkReplyDir({ ...dir, isSymlink: true })!, /symbolic/);
});

Deno.test("fifo: numbers print as srjson prints them", () => {
  const cases: [number, string][] = [
    [0, "0"],
    [-0, "0"],
    [7, "7"],
    [-2147483648, "-2147483648"],
    [1.5, "1.500000"],
    [12345678901, "12345678901"],
    [1e21, "1000000000000000000000"],
    [1e-7, "1.000000e-07"],
    [1e-20, "0"],
    [2.5e10 + 0.5, "2.500000e+10"],
    [-123.456, "-123.456000"],
    [NaN, "null"],
    [Infinity, "null"],
  ];
  for (const [value, text] of cases) assert.equal(kamailioNumber(value), text, String(value));
});

Deno.test("fifo: strings, empty containers and the limits of a reply text", () => {
  const text = formatKamailioJson({
    s: 'q"\\/\b\f\n\r\t\u0001\u007fé',
    e: {},
    a: [],
    n: null,
    t: true,
  });
  assert.ok(text.ok);
  assert.equal(
    text.text,
    '{\n\t"s":\t"q\\"\\\\/\\b\\f\\n\\r\\t\\u0001\u007fé",\n\t"e":\t{\n\t},\n\t"a":\t[],\n\t"n":\tnull,\n\t"t":\ttrue\n}',
  );
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const deep = formatKamailioJson(cyclic);
  assert.ok(!deep.ok && /deeper than 64/.test(deep.message));
  const long = formatKamailioJson(["x".repeat(100)], { maxDepth: 4, maxChars: 50 });
  assert.ok(!long.ok && /over 50 characters/.test(long.message));
});
