// Kamailio's own tools, unchanged, against the host: kamcmd over --rpc-ctl
// (BINRPC on unix:, tcp:, udp:) and kamctl over --rpc-fifo (the jsonrpcs
// FIFO). Where a tool is missing, the request it sent to a real Kamailio
// (tests/fixtures/kamailio, recorded) is played to the host instead, and the
// answer is decoded: those tests run everywhere.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { fixture, runHost, startHost, type TestHost } from "./helpers/host.ts";
import { decodeReply, encodeRequest, recordValue } from "../src/rpc/kamailio/binrpc.ts";
import { kamcmdExchanges, kamctlExchanges, unhex } from "./fixtures/kamailio/recorded.ts";

const SEED = fixture("kamailio_seed.ts");
const decoder = new TextDecoder();

function installed(tool: string, args: string[]): boolean {
  try {
    new Deno.Command(tool, { args, stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

const hasKamcmd = installed("kamcmd", ["-V"]);
const hasKamctl = installed("kamctl", ["-h"]);
if (!hasKamcmd) console.log("kamcmd is not installed: its tests here play the recorded exchange");
if (!hasKamctl) console.log("kamctl is not installed: its tests here play the recorded exchange");

/** Starts the host with its Kamailio transports in `dir`. */
async function kamailioHost(dir: string, extra: string[] = []): Promise<TestHost> {
  return await startHost(SEED, {
    exec: ["name=evrexec:timer;workers=1"],
    socket: `${dir}/rpc.sock`,
    permissions: ["--allow-run=mkfifo"],
    args: [
      "--rpc-ctl",
      `unix:${dir}/ctl.sock`,
      "--rpc-ctl",
      "tcp:127.0.0.1:0",
      "--rpc-ctl",
      "udp:127.0.0.1:0",
      "--rpc-fifo",
      `${dir}/rpc.fifo`,
      ...extra,
    ],
  });
}

/** The ctl addresses the host logged: unix, tcp and udp. */
async function ctlAddresses(host: TestHost, dir: string): Promise<string[]> {
  const [, tcp] = await host.waitFor(/BINRPC \(kamcmd\) on tcp:127\.0\.0\.1:(\d+)/);
  const [, udp] = await host.waitFor(/BINRPC \(kamcmd\) on udp:127\.0\.0\.1:(\d+)/);
  return [`unix:${dir}/ctl.sock`, `tcp:127.0.0.1:${tcp}`, `udp:127.0.0.1:${udp}`];
}

async function withKamailioHost(body: (host: TestHost, dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-kam-" });
  const host = await kamailioHost(dir);
  try {
    await host.waitFor(/1 worker running/);
    await body(host, dir);
  } finally {
    await host.cleanup();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function kamcmd(address: string, ...args: string[]) {
  const out = await new Deno.Command("kamcmd", { args: ["-s", address, ...args] }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** One BINRPC exchange over a Unix or TCP stream: the frame out, the reply's records back. */
async function binrpcStream(address: string, frame: Uint8Array): Promise<unknown[]> {
  const conn = address.startsWith("unix:")
    ? await Deno.connect({ transport: "unix", path: address.slice(5) })
    : await Deno.connect({ hostname: "127.0.0.1", port: Number(address.split(":")[2]) });
  try {
    await conn.write(frame);
    let got = new Uint8Array(0);
    const chunk = new Uint8Array(65536);
    for (;;) {
      const reply = decodeReply(got);
      if (reply.kind === "reply" || reply.kind === "fault") {
        return [reply.kind, ...reply.records.map(recordValue)];
      }
      assert.equal(reply.kind, "more", JSON.stringify(reply));
      const n = await conn.read(chunk);
      assert.notEqual(n, null, "the host closed before answering");
      const grown = new Uint8Array(got.length + n!);
      grown.set(got);
      grown.set(chunk.subarray(0, n!), got.length);
      got = grown;
    }
  } finally {
    conn.close();
  }
}

Deno.test({
  name: "kamcmd: evrexec.run, ps and core.version over unix:, tcp: and udp:",
  ignore: !hasKamcmd,
  fn: () =>
    withKamailioHost(async (host, dir) => {
      const stat = await Deno.lstat(`${dir}/ctl.sock`);
      assert.equal(stat.mode! & 0o777, 0o600, "the ctl socket is made 0600");
      for (const address of await ctlAddresses(host, dir)) {
        const run = await kamcmd(address, "evrexec.run", "test", "hi");
        assert.deepEqual(run, { code: 0, stdout: "test(hi)\n", stderr: "" }, address);
        const seed = await kamcmd(address, "evroute.run", "evroute:test", "mydata");
        assert.equal(seed.stdout, "test(mydata)\n", address);
        // kamcmd sends 5 as an int: evrexec.run takes it as the text "5".
        assert.equal((await kamcmd(address, "evrexec.run", "test", "5")).stdout, "test(5)\n");
        const ps = await kamcmd(address, "ps");
        const rows = ps.stdout.trimEnd().split("\n");
        assert.ok(
          rows.some((row) => /^\d+\tEVREXEC child=0 exec=evrexec:timer$/.test(row)),
          ps.stdout,
        );
        assert.ok(rows.every((row) => /^\d+\t\S/.test(row)), ps.stdout);
        const version = await kamcmd(address, "core.version");
        assert.match(version.stdout, /^evrexec-deno \S+ \(deno /);
        const unknown = await kamcmd(address, "nosuch.method");
        assert.equal(unknown.stdout, "error: 500 - command nosuch.method not found\n");
        const bad = await kamcmd(address, "evrexec.run", "nosuch");
        assert.match(bad.stdout, /^error: 400 - unknown function "nosuch" \(exported functions: /);
      }
      await host.waitFor(/test: data "mydata"/);
    }),
});

Deno.test("kamcmd's recorded requests to Kamailio get the host's answers (no kamcmd needed)", () =>
  withKamailioHost(async (host, dir) => {
    const [unix, tcp] = await ctlAddresses(host, dir);
    const recorded = new Map(kamcmdExchanges().map((e) => [e.name, e]));
    // Bytes kamcmd sent to a real Kamailio, played to the host as they were.
    const version = unhex(recorded.get("core_version")!.request_hex);
    const [kind, text] = await binrpcStream(unix, version);
    assert.equal(kind, "reply");
    assert.match(String(text), /^evrexec-deno /);
    const ps = await binrpcStream(tcp, unhex(recorded.get("ps")!.request_hex));
    assert.equal(ps[0], "reply");
    assert.ok(ps.includes("EVREXEC child=0 exec=evrexec:timer"), JSON.stringify(ps));
    const run = await binrpcStream(unix, unhex(recorded.get("evrexec_run")!.request_hex));
    // Kamailio's recording named evrexec:test; the seed's fixture exports it.
    assert.deepEqual(run, ["reply", "test(mydata)"]);
    const seed = await binrpcStream(
      unix,
      unhex(recorded.get("evroute_run_unknown")!.request_hex),
    );
    assert.deepEqual(seed, ["reply", "test(mydata)"], "evroute.run is served here");
    const none = await binrpcStream(
      unix,
      unhex(recorded.get("evrexec_run_no_params")!.request_hex),
    );
    assert.equal(none[0], "fault");
    assert.equal(none[1], 400);
    // A request of our own with every kind kamcmd sends.
    const mixed = await binrpcStream(unix, encodeRequest(7, "evrexec.run", ["test", 2.5])!);
    assert.deepEqual(mixed, ["reply", "test(2.5)"]);
    // Counted as the ctl transport, beside the others.
    const counts = await transportStats(host, "ctl");
    assert.deepEqual(counts, {
      "rpc:ctl-requests": 6,
      "rpc:ctl-parse_errors": 0,
      "rpc:ctl-accepted": 6,
      "rpc:ctl-refused": 0,
      "rpc:ctl-evicted": 0,
      "rpc:ctl-unanswered": 0,
    });
  }));

/** The `rpc:T-…` statistics of transport `transport`, by name. */
async function transportStats(host: TestHost, transport: string) {
  const rows = await host.call("stats.get_statistics", ["rpc:"]) as string[];
  return Object.fromEntries(
    rows.filter((row) => row.startsWith(`rpc:${transport}-`)).map((row) => {
      const [name, value] = row.split(" = ");
      return [name, Number(value)];
    }),
  );
}

/** Writes `request` into the host's FIFO and reads the answer from a reply FIFO of ours. */
async function fifoCall(fifo: string, request: string, replyName: string): Promise<string> {
  const replyPath = `/tmp/${replyName}`;
  const made = await new Deno.Command("mkfifo", { args: ["-m", "0600", replyPath] }).output();
  assert.ok(made.success, "mkfifo");
  try {
    const reader = Deno.open(replyPath, { read: true }); // waits for the host to open it
    const fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    fs.writeSync(fd, new TextEncoder().encode(request));
    fs.closeSync(fd);
    const file = await reader;
    let text = "";
    for await (const chunk of file.readable) text += decoder.decode(chunk);
    return text;
  } finally {
    await Deno.remove(replyPath).catch(() => {});
  }
}

async function kamctl(home: string, ...args: string[]) {
  const out = await new Deno.Command("timeout", {
    args: ["20", "kamctl", "rpc", ...args],
    env: { HOME: home },
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test({
  name: "kamctl rpc: the seed's evroute.run evroute:test mydata over --rpc-fifo, with a kamctlrc",
  ignore: !hasKamctl,
  fn: () =>
    withKamailioHost(async (host, dir) => {
      const fifo = `${dir}/rpc.fifo`;
      const stat = await Deno.lstat(fifo);
      assert.ok(stat.isFifo, "a FIFO");
      assert.equal(stat.mode! & 0o777, 0o600, "made with --socket-mode, 0600 by default");
      const home = `${dir}/home`;
      await Deno.mkdir(home);
      await Deno.writeTextFile(`${home}/.kamctlrc`, `RPCFIFOPATH=${fifo}\n`);
      const seed = await kamctl(home, "evroute.run", "evroute:test", "mydata");
      assert.equal(seed.code, 0, seed.stderr);
      assert.match(
        seed.stdout,
        /^\{\n {2}"jsonrpc": {2}"2\.0",\n {2}"result": "test\(mydata\)",\n {2}"id": \d+\n\}\n$/,
      );
      await host.waitFor(/test: data "mydata"/);
      const ps = await kamctl(home, "core.ps");
      assert.match(ps.stdout, /"EVREXEC child=0 exec=evrexec:timer"/);
      const unknown = await kamctl(home, "nosuch.method");
      assert.match(unknown.stdout, /"code": -32601,\n\s+"message": {2}"method not found: nosuch/);
      const version = await kamctl(home, "core.version");
      assert.match(version.stdout, /"result": "evrexec-deno /);
    }),
});

Deno.test("kamctl's recorded FIFO requests get the host's answers (no kamctl needed)", () =>
  withKamailioHost(async (host, dir) => {
    const recorded = new Map(kamctlExchanges().map((e) => [e.name, e]));
    const name = `evrexec_test_reply_${Deno.pid}`;
    const play = (exchange: string) =>
      fifoCall(
        `${dir}/rpc.fifo`,
        recorded.get(exchange)!.request_text.replace(/kamailio_receiver_\d+/, name),
        name,
      );
    const seed = await play("seed_evroute_run");
    assert.match(
      seed,
      /^\{\n\t"jsonrpc":\t"2\.0",\n\t"result":\t"test\(mydata\)",\n\t"id":\t\d+\n\}$/,
    );
    assert.match(await play("core_version"), /"result":\t"evrexec-deno /);
    assert.match(await play("no_params"), /"code":\t-32602/);
    // Junk between requests is dropped and counted; nothing asked for an answer to it.
    const fd = fs.openSync(`${dir}/rpc.fifo`, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    fs.writeSync(fd, new TextEncoder().encode("not json at all\n"));
    fs.closeSync(fd);
    assert.match(await play("core_version"), /"result":\t"evrexec-deno /);
    assert.deepEqual(await transportStats(host, "fifo"), {
      "rpc:fifo-requests": 4,
      "rpc:fifo-parse_errors": 1,
      "rpc:fifo-too_large": 0,
      "rpc:fifo-unanswered": 0,
    });
  }));

Deno.test("--rpc-ctl and --rpc-fifo: the FIFO and the socket are gone when the host stops", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-kam-" });
  try {
    const host = await kamailioHost(dir);
    await host.stop("SIGTERM");
    await host.cleanup();
    const left = [...Deno.readDirSync(dir)].map((entry) => entry.name);
    assert.deepEqual(left, [], "nothing left behind");
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("--rpc-ctl and --rpc-fifo: every bad value is one line and exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-kam-" });
  try {
    await Deno.mkdir(`${dir}/open`);
    await Deno.chmod(`${dir}/open`, 0o777); // writable by all, no sticky bit
    await Deno.writeTextFile(`${dir}/plain`, "not a FIFO");
    const cases: [string[], RegExp][] = [
      [
        ["--rpc-ctl", "ctl.sock"],
        /--rpc-ctl must be unix:PATH, tcp:HOST:PORT or udp:HOST:PORT, got "ctl\.sock"/,
      ],
      [["--rpc-ctl", "unix:"], /--rpc-ctl unix:PATH needs a PATH/],
      [["--rpc-ctl", "unixd:/x.sock"], /unixd: \(BINRPC on Unix datagrams\) is not served/],
      [["--rpc-ctl", "tcp:127.0.0.1:70000"], /--rpc-ctl tcp: must be tcp:HOST:PORT/],
      [["--rpc-ctl", "udp:192.0.2.1:2049"], /not a loopback address; BINRPC has no authentication/],
      [
        ["--rpc-ctl", `unix:${dir}/c.sock`, "--rpc-ctl", `unix:${dir}/c.sock`],
        /--rpc-ctl unix:\S+ is given twice/,
      ],
      [["--rpc-ctl", `unix:${dir}/open/c.sock`], /socket \S+open\/c\.sock: every user can write/],
      [["--rpc-fifo", ""], /--rpc-fifo needs a PATH/],
      [["--rpc-fifo", `${dir}/rpc.fifo`], /--rpc-fifo needs deno --allow-run=mkfifo/],
      [["--rpc-fifo", `${dir}/open/rpc.fifo`], /--rpc-fifo \S+: every user can write to/],
      [["--rpc-fifo", `${dir}/plain`], /--rpc-fifo \S+plain: the path exists and is not a FIFO/],
    ];
    for (const [args, expected] of cases) {
      const exit = await runHost(["--socket", `${dir}/rpc.sock`, ...args, SEED]);
      assert.equal(exit.code, 2, `${args.join(" ")}: ${exit.stderr}`);
      const lines = exit.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, exit.stderr);
      assert.match(lines[0], expected);
    }
    assert.equal(await Deno.readTextFile(`${dir}/plain`), "not a FIFO", "left untouched");
    await Deno.writeTextFile(`${dir}/bad.jsonc`, `{ "script": "${SEED}", "rpc-fifo": 5 }`);
    const file = await runHost(["--socket", `${dir}/rpc.sock`, "--config", `${dir}/bad.jsonc`]);
    assert.equal(file.code, 2);
    assert.match(file.stderr, /"rpc-fifo"/);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("--rpc-ctl and --rpc-fifo in a config file: paths are relative to the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-kam-" });
  try {
    await Deno.writeTextFile(
      `${dir}/evrexec.jsonc`,
      `{ "script": "${SEED}", "rpc-ctl": ["unix:ctl.sock"], "rpc-fifo": "rpc.fifo" }`,
    );
    const host = await startHost(null, {
      socket: `${dir}/rpc.sock`,
      permissions: ["--allow-run=mkfifo"],
      args: ["--config", `${dir}/evrexec.jsonc`],
    });
    try {
      assert.ok((await Deno.lstat(`${dir}/ctl.sock`)).isSocket);
      assert.ok((await Deno.lstat(`${dir}/rpc.fifo`)).isFifo);
      const frame = encodeRequest(3, "core.version", [])!;
      const [kind] = await binrpcStream(`unix:${dir}/ctl.sock`, frame);
      assert.equal(kind, "reply");
    } finally {
      await host.cleanup();
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("--rpc-fifo: an answer goes only into a FIFO, never a plain file or through a link", () =>
  withKamailioHost(async (host, dir) => {
    const fifo = `${dir}/rpc.fifo`;
    const plain = `evrexec_plain_${Deno.pid}`;
    const link = `evrexec_link_${Deno.pid}`;
    await Deno.writeTextFile(`/tmp/${plain}`, "kept");
    await Deno.symlink(`/tmp/${plain}`, `/tmp/${link}`);
    try {
      const send = (name: string) => {
        const fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
        fs.writeSync(
          fd,
          new TextEncoder().encode(
            `{"jsonrpc":"2.0","method":"core.version","reply_name":"${name}","id":1}`,
          ),
        );
        fs.closeSync(fd);
      };
      send(plain);
      send(link);
      // A good request after them is answered: the refused ones held nothing up.
      const name = `evrexec_test_reply_${Deno.pid}`;
      const answer = await fifoCall(
        fifo,
        `{"jsonrpc":"2.0","method":"core.version","reply_name":"${name}","id":2}`,
        name,
      );
      assert.match(answer, /"id":\t2/);
      assert.equal(await Deno.readTextFile(`/tmp/${plain}`), "kept", "the plain file is untouched");
      assert.equal(host.hasExited, false);
    } finally {
      await Deno.remove(`/tmp/${link}`).catch(() => {});
      await Deno.remove(`/tmp/${plain}`).catch(() => {});
    }
  }));
