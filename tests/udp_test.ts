// UDP tasks: sockaddr=udp:HOST:PORT binds a socket and calls the function
// once per datagram with $evr(data), $evr(srcip), $evr(srcport), $evr(srcportno).
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { fixture, runHost, sleep, startHost, withHost } from "./helpers/host.ts";

const SUPERVISED = fixture("supervised.ts");

function udpSocket(port = 0): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket("udp4");
    socket.once("error", reject);
    socket.bind(port, "127.0.0.1", () => resolve(socket));
  });
}

async function freePort(): Promise<number> {
  const socket = await udpSocket();
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

function sendTo(socket: dgram.Socket, text: string, port: number): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.send(text, port, "127.0.0.1", (error) => error ? reject(error) : resolve())
  );
}

const port = await freePort();

Deno.test(
  "udp: every datagram reaches the function with its $evr values",
  withHost(SUPERVISED, { exec: [`name=udp;sockaddr=udp:127.0.0.1:${port}`] }, async (host) => {
    await host.waitFor(new RegExp(`listening on udp:127.0.0.1:${port}`));
    const client = await udpSocket();
    try {
      const from = client.address().port;
      for (const text of ["hello", "throw", "second one"]) {
        await sendTo(client, text, port);
        await host.waitFor(new RegExp(`data=${JSON.stringify(JSON.stringify(text)).slice(1, -1)}`));
      }
      const expected = `udp arg=udp:127.0.0.1:${port} data="hello" srcip="127.0.0.1" ` +
        `srcport="${from}" srcportno=${from}`;
      assert.ok(host.log.includes(expected), `${expected}\nin\n${host.log}`);
      assert.match(host.log, /function failed on a datagram: Error: datagram said throw/);
      assert.ok(
        host.log.includes(`data="second one"`),
        "a throwing datagram does not stop the task",
      );
      const [task] = await host.call("evrexec.list") as {
        sockaddr: string;
        workers: { state: string }[];
      }[];
      assert.equal(task.sockaddr, `udp:127.0.0.1:${port}`);
      assert.equal(task.workers[0].state, "running");
    } finally {
      client.close();
    }
  }),
);

Deno.test(
  "udp: a flood the function cannot keep up with is dropped past 1024 waiting datagrams, with a warning",
  async () => {
    const floodPort = await freePort();
    const host = await startHost(SUPERVISED, {
      exec: [`name=slowUdp;sockaddr=udp:127.0.0.1:${floodPort}`],
    });
    const client = await udpSocket();
    try {
      await host.waitFor(/listening on udp/);
      // In rounds, so that the worker reads them before the kernel's buffer
      // overflows on a loaded machine: the host's queue is what must fill.
      for (let i = 0; i < 30_000 && host.count(/dropping more/) === 0; i++) {
        await sendTo(client, `d${i}`, floodPort);
        if (i % 200 === 199) await sleep(20);
      }
      await host.waitFor(/udp:127\.0\.0\.1:\d+: 1024 datagrams waiting; dropping more/);
      for (let i = 0; i < 1000; i++) await sendTo(client, `more${i}`, floodPort);
      await sleep(200);
      assert.equal(host.count(/dropping more/), 1, "one warning per burst");
      assert.equal(typeof await host.call("core.version"), "string", "the host is fine");
    } finally {
      client.close();
      await host.cleanup();
    }
  },
);

Deno.test("udp: a bind failure is a clear start-up error", async () => {
  const holder = await udpSocket();
  try {
    const busy = holder.address().port;
    const dir = await Deno.makeTempDir();
    try {
      const exit = await runHost([
        "--socket",
        `${dir}/rpc.sock`,
        "--exec",
        `name=udp;sockaddr=udp:127.0.0.1:${busy}`,
        SUPERVISED,
      ]);
      assert.equal(exit.code, 2, exit.stderr);
      const lines = exit.stderr.trim().split("\n").filter((l) => !/\[(ERR|INF)\]/.test(l));
      assert.equal(lines.length, 1, exit.stderr);
      assert.match(
        lines[0],
        new RegExp(`exec task "udp": cannot bind udp:127.0.0.1:${busy}: .*(EADDRINUSE|in use)`),
      );
      await assert.rejects(Deno.lstat(`${dir}/rpc.sock`), "the socket file is removed");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  } finally {
    holder.close();
  }
});

Deno.test("udp: sockaddr specs are checked", async () => {
  for (
    const [spec, pattern] of [
      ["name=udp;sockaddr=tcp:1.2.3.4:5", /sockaddr must be udp:HOST:PORT/],
      ["name=udp;sockaddr=udp:127.0.0.1:70000", /port must be at most 65535/],
      ["name=udp;sockaddr=udp:127.0.0.1:5000;workers=2", /a sockaddr task has exactly one worker/],
    ] as const
  ) {
    const exit = await runHost(["--exec", spec, SUPERVISED]);
    assert.equal(exit.code, 2);
    assert.match(exit.stderr, pattern);
  }
});
