// The datagram JSON-RPC transport (--rpc-dgram), driven by a client that does
// what kamcli does: its own reply socket, one request per datagram, one reply.
import assert from "node:assert/strict";
import { dgramCall, dgramExchange } from "./helpers/dgram_client.ts";
import { fixture, runHost, startHost, type TestHost, withHost } from "./helpers/host.ts";

const OBSERVE = fixture("observe.ts");

type Reply = { result?: unknown; error?: { code: number; message: string }; id: unknown };

/** The host's datagram addresses: its Unix socket and its UDP port, read from the log. */
async function addresses(host: TestHost): Promise<string[]> {
  const [, port] = await host.waitFor(/datagram JSON-RPC on udp:127\.0\.0\.1:(\d+)/);
  return [`unix:${host.dir}/kamailio_rpc.sock`, `udp:127.0.0.1:${port}`];
}

function dgramArgs(dir?: string): string[] {
  return ["--rpc-dgram", `unix:${dir}/kamailio_rpc.sock`, "--rpc-dgram", "udp:127.0.0.1:0"];
}

/** Starts the host with a Unix and a UDP datagram address in its own temporary directory. */
async function startDgramHost(extra: string[] = []): Promise<TestHost> {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-dgram-" });
  const host = await startHost(OBSERVE, {
    socket: `${dir}/rpc.sock`,
    args: [...dgramArgs(dir), ...extra],
  });
  // startHost made its own dir; keep ours for the sockets and remove it with the host.
  const cleanup = host.cleanup.bind(host);
  host.cleanup = async () => {
    await cleanup();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  Object.defineProperty(host, "dir", { value: dir });
  return host;
}

function parse(reply: string | null): Reply {
  assert.notEqual(reply, null, "a reply");
  return JSON.parse(reply!);
}

Deno.test("dgram: unix and udp answer each method as the stream socket does", async () => {
  const host = await startDgramHost();
  try {
    const stream = await host.client();
    for (const address of await addresses(host)) {
      const methods = await dgramCall(address, "system.listMethods");
      assert.deepEqual(methods.result, await stream.call("system.listMethods"), address);
      assert.equal((await dgramCall(address, "evrexec.run", ["echo", "hi"])).result, "hi");
      const uptime = (await dgramCall(address, "core.uptime")).result as { uptime: number };
      assert.ok(uptime.uptime >= 0);
      const psx = (await dgramCall(address, "core.psx")).result as { IDX: number; DSC: string }[];
      assert.deepEqual(
        psx.map((row) => row.DSC),
        (await stream.call("core.psx") as { DSC: string }[]).map((row) => row.DSC),
      );
      const failed = await dgramCall(address, "evrexec.run", ["fail", "x"]);
      assert.deepEqual([failed.error?.code, failed.error?.message, failed.id], [
        -32000,
        "failed on x",
        1,
      ]);
      assert.equal((await dgramCall(address, "no.such")).error?.code, -32601);
      assert.equal((await dgramCall(address, "evrexec.run", [])).error?.code, -32602);
      const replies = await dgramExchange(address, [
        { data: "{not json" },
        { data: '[{"jsonrpc":"2.0","method":"core.uptime","id":1}]' },
        { data: [0xff, 0xfe, 0x7b] },
        { data: '{"jsonrpc":"2.0","method":"core.uptime"}', timeoutMs: 300 },
      ]);
      assert.equal(parse(replies[0]).error?.code, -32700, address);
      assert.equal(parse(replies[1]).error?.code, -32600);
      assert.match(parse(replies[1]).error!.message, /no batch \(as in Kamailio\)/);
      assert.equal(parse(replies[2]).error?.code, -32700);
      assert.equal(replies[3], null, "a notification gets no answer");
    }
  } finally {
    await host.cleanup();
  }
});

Deno.test("dgram: too large for a datagram, either way, is an error answer; garbage never stops the host", async () => {
  const host = await startDgramHost();
  try {
    const [unix, udp] = await addresses(host);
    for (const address of [unix, udp]) {
      const answer = await dgramCall(address, "evrexec.run", ["big", "70000"]);
      assert.equal(answer.error?.code, -32603, address);
      assert.match(answer.error!.message, /larger than one datagram carries.*stream socket/);
      assert.equal(answer.id, 1);
      const fits = await dgramCall(address, "evrexec.run", ["big", "60000"]);
      assert.equal((fits.result as string).length, 60000);
    }
    const huge = JSON.stringify({
      jsonrpc: "2.0",
      method: "evrexec.run",
      params: ["echo", "y".repeat(65_420)], // over 65,456 bytes, within what UDP carries
      id: 7,
    });
    for (const address of [unix, udp]) {
      const [reply] = await dgramExchange(address, [{ data: huge }]);
      assert.equal(parse(reply).error?.code, -32600, address);
      assert.match(parse(reply).error!.message, /over 65456 bytes/);
    }
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
    const garbage = Array.from({ length: 40 }, (_, i) => ({
      data: Array.from({ length: 1 + i * 37 }, random),
      timeoutMs: 0,
    }));
    for (const address of [unix, udp]) await dgramExchange(address, garbage);
    for (const address of [unix, udp]) {
      assert.equal((await dgramCall(address, "evrexec.run", ["echo", "alive"])).result, "alive");
    }
    assert.equal(await host.call("evrexec.run", ["echo", "stream too"]), "stream too");
  } finally {
    await host.cleanup();
  }
});

Deno.test("dgram: the Unix socket has mode 0600, replaces a stale one, refuses a live one, goes at exit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-dgram-" });
  const path = `${dir}/kamailio_rpc.sock`;
  try {
    // A stale socket file: its process exited without closing it.
    const script = `Deno.listen({ transport: "unix", path: ${
      JSON.stringify(path)
    } }); Deno.exit(0)`;
    await new Deno.Command(Deno.execPath(), { args: ["eval", script] }).output();
    const first = await startHost(OBSERVE, {
      socket: `${dir}/a.sock`,
      args: ["--rpc-dgram", `unix:${path}`],
    });
    try {
      assert.match(first.log, /removed a stale socket at .*kamailio_rpc\.sock/);
      assert.equal(Deno.statSync(path).mode! & 0o777, 0o600);
      const second = await startHost(OBSERVE, {
        socket: `${dir}/b.sock`,
        args: ["--rpc-dgram", `unix:${path}`],
        ready: false,
      });
      const exit = await second.waitExit();
      await second.cleanup();
      assert.equal(exit.code, 2);
      assert.match(exit.stderr, /kamailio_rpc\.sock: another host is already serving there/);
      assert.equal((await dgramCall(`unix:${path}`, "core.uptime")).error, undefined);
      assert.equal((await first.stop()).code, 0);
      assert.throws(() => Deno.statSync(path), Deno.errors.NotFound);
    } finally {
      await first.cleanup();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "dgram: without --unstable-net a unix: address stops start-up with exit 2 and one line naming the flag",
  withHost(OBSERVE, {
    args: ["--rpc-dgram", "unix:/tmp/never.sock"],
    ready: false,
    unstableNet: false,
  }, async (host) => {
    const exit = await host.waitExit();
    assert.equal(exit.code, 2);
    assert.equal(exit.stderr.trim().split("\n").length, 1, exit.stderr);
    assert.match(
      exit.stderr,
      /--rpc-dgram unix:\/tmp\/never\.sock: .*need Deno's --unstable-net flag/,
    );
  }),
);

Deno.test("dgram: bad addresses and a public UDP address without --rpc-dgram-public exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [["--rpc-dgram", "tcp:1.2.3.4:5"], /--rpc-dgram must be unix:PATH or udp:HOST:PORT/],
    [["--rpc-dgram", "udp:192.0.2.1:9062"], /not a loopback address; .*--rpc-dgram-public/],
    [["--metrics", "192.0.2.1:9090"], /not a loopback address; give --metrics-public/],
    [["--stats", "maybe"], /--stats must be one of on, off/],
  ];
  for (const [args, pattern] of cases) {
    const exit = await runHost([...args, OBSERVE]);
    assert.equal(exit.code, 2, args.join(" "));
    assert.match(exit.stderr, pattern);
    assert.equal(exit.stderr.trim().split("\n").length, 1);
  }
});
