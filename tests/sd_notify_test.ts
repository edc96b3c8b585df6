// The systemd notify client against a notify socket the test binds (a path
// and an abstract name), each end in a process of its own as under systemd:
// what arrives, byte for byte; MONOTONIC_USEC against the kernel's clock;
// the watchdog's pace, and its silence while the main thread is wedged; a
// socket that is gone, reported once; nothing at all without NOTIFY_SOCKET.
import assert from "node:assert/strict";

const FIXTURES = new URL("./fixtures/sd_notify/", import.meta.url).pathname;
const LISTENER = `${FIXTURES}listener.ts`;
const CLIENT = `${FIXTURES}client.ts`;
const CLIENT_FLAGS = [
  "--unstable-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-net",
];
const decoder = new TextDecoder();

interface Datagram {
  readonly ms: number;
  readonly text: string;
}

/** A listener bound at `address`; `collect()` closes its stdin and returns what it received. */
async function listen(address: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--unstable-net",
      "--allow-read",
      "--allow-write",
      "--allow-net",
      LISTENER,
      address,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("ready\n")) {
    const { value, done } = await reader.read();
    if (done) {
      throw new Error(`the listener ended: ${decoder.decode((await child.output()).stderr)}`);
    }
    text += value;
  }
  return {
    async collect(): Promise<Datagram[]> {
      await child.stdin.close();
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      await child.stderr.cancel();
      await child.status;
      return text.split("\n").slice(1).filter((line) => line !== "").map((line) =>
        JSON.parse(line)
      );
    },
  };
}

/** Runs the client fixture with `env` (NOTIFY_SOCKET and the rest); its JSON lines and stderr. */
async function client(args: string[], env: Record<string, string>, flags = CLIENT_FLAGS) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...flags, CLIENT, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = decoder.decode(stderr);
  assert.equal(code, 0, err);
  const lines = decoder.decode(stdout).split("\n").filter((line) => line !== "");
  return { lines: lines.map((line) => JSON.parse(line)), stderr: err };
}

function uptimeSeconds(): number {
  return Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]);
}

const SEQUENCE = (monotonic: string | null) => [
  "READY=1\nSTATUS=started\n",
  `RELOADING=1\n${monotonic === null ? "" : `MONOTONIC_USEC=${monotonic}\n`}` +
  "STATUS=reloading the script\n",
  "READY=1\n",
  "STATUS=two lines\n",
  "STOPPING=1\nSTATUS=stopping\n",
];

for (const kind of ["path", "abstract"] as const) {
  Deno.test(`sd_notify: each call arrives as one datagram at a ${kind} socket, in order`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "evrexec-notify-" });
    const address = kind === "path" ? `${dir}/notify.sock` : `@evrexec-test-notify-${Deno.pid}`;
    try {
      const socket = await listen(address);
      const before = uptimeSeconds();
      const { lines, stderr } = await client(
        ["sequence"],
        { NOTIFY_SOCKET: address },
        [...CLIENT_FLAGS, "--allow-sys=osUptime"],
      );
      const after = uptimeSeconds();
      const got = await socket.collect();
      assert.deepEqual(lines[0], { enabled: true, watchdogUsec: null, envLeft: null });
      assert.deepEqual(lines[1], [true, true, true, true, true]);
      assert.equal(stderr, "");
      const monotonic = got[1]?.text.match(/MONOTONIC_USEC=(\d+)\n/)?.[1] ?? null;
      assert.deepEqual(got.map((d) => d.text), SEQUENCE(monotonic));
      // An upper bound of CLOCK_MONOTONIC read through the boot clock (never below
      // it), at most 1 s above it before the clock is refined.
      assert.ok(monotonic !== null);
      const seconds = Number(monotonic) / 1e6;
      assert.ok(seconds >= before, `MONOTONIC_USEC ${seconds} s is below the uptime ${before} s`);
      assert.ok(seconds <= after + 1.01, `MONOTONIC_USEC ${seconds} s is over ${after} s + 1 s`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("sd_notify: once refined, MONOTONIC_USEC is within a quarter second of the clock", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-notify-" });
  try {
    const socket = await listen(`${dir}/notify.sock`);
    const { lines } = await client(
      ["refined"],
      { NOTIFY_SOCKET: `${dir}/notify.sock` },
      [...CLIENT_FLAGS, "--allow-sys=osUptime"],
    );
    const after = uptimeSeconds();
    const got = await socket.collect();
    assert.deepEqual(lines[1], { refined: true, sent: true });
    const seconds = Number(got[0].text.match(/^RELOADING=1\nMONOTONIC_USEC=(\d+)\n$/)![1]) / 1e6;
    assert.ok(seconds <= after + 0.25, `MONOTONIC_USEC ${seconds} s; uptime after ${after} s`);
    assert.ok(seconds >= after - 5, `MONOTONIC_USEC ${seconds} s; uptime after ${after} s`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sd_notify: without --allow-sys=osUptime, RELOADING=1 goes alone and says why once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-notify-" });
  try {
    const socket = await listen(`${dir}/notify.sock`);
    const { lines, stderr } = await client(["sequence"], { NOTIFY_SOCKET: `${dir}/notify.sock` });
    const got = await socket.collect();
    assert.deepEqual(lines[1], [true, true, true, true, true]);
    assert.deepEqual(got.map((d) => d.text), SEQUENCE(null));
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /without MONOTONIC_USEC: reading the clock needs --allow-sys=osUptime/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sd_notify: the watchdog pings at half WATCHDOG_USEC, and not while the main thread is wedged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-notify-" });
  try {
    const socket = await listen(`${dir}/notify.sock`);
    const { lines } = await client(["watchdog", "1000", "1500"], {
      NOTIFY_SOCKET: `${dir}/notify.sock`,
      WATCHDOG_USEC: "200000",
    });
    const got = await socket.collect();
    assert.deepEqual(lines[0], { enabled: true, watchdogUsec: 200000, envLeft: null });
    assert.ok(got.every((d) => d.text === "WATCHDOG=1\n"), JSON.stringify(got));
    // 100 ms apart: about 10 pings a second; a loaded machine may lose some.
    assert.ok(got.length >= 8, `${got.length} pings in about 2 s of turning`);
    assert.ok(got.length <= 25, `${got.length} pings in about 3.5 s`);
    const gaps = got.slice(1).map((d, i) => d.ms - got[i].ms);
    assert.ok(Math.max(...gaps) >= 1300, `the longest gap was ${Math.max(...gaps)} ms`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sd_notify: a watchdog meant for another process (WATCHDOG_PID) is not pinged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-notify-" });
  try {
    const socket = await listen(`${dir}/notify.sock`);
    const { lines } = await client(["watchdog", "300", "0"], {
      NOTIFY_SOCKET: `${dir}/notify.sock`,
      WATCHDOG_USEC: "200000",
      WATCHDOG_PID: "1",
    });
    assert.deepEqual(lines[0], { enabled: true, watchdogUsec: null, envLeft: null });
    assert.deepEqual(await socket.collect(), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sd_notify: a socket that is gone fails every call quietly, reported once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-notify-" });
  try {
    const { lines, stderr } = await client(
      ["sequence"],
      { NOTIFY_SOCKET: `${dir}/gone.sock` },
      [...CLIENT_FLAGS, "--allow-sys=osUptime"],
    );
    assert.deepEqual(lines[1], [false, false, false, false, false]);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /^systemd notify: cannot send to .*gone\.sock: .*further failures/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sd_notify: without --unstable-net every call fails quietly, and says why once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-notify-" });
  try {
    const { lines, stderr } = await client(
      ["sequence"],
      { NOTIFY_SOCKET: `${dir}/notify.sock` },
      ["--allow-env", "--allow-read", "--allow-write", "--allow-net", "--allow-sys=osUptime"],
    );
    assert.deepEqual(lines[1], [false, false, false, false, false]);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /need deno run --unstable-net/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sd_notify: without NOTIFY_SOCKET nothing is sent and nothing is said", async () => {
  const { lines, stderr } = await client(["sequence"], { WATCHDOG_USEC: "200000" });
  assert.deepEqual(lines[0], { enabled: false, watchdogUsec: null, envLeft: null });
  assert.deepEqual(lines[1], [false, false, false, false, false]);
  assert.equal(stderr, "");
});

Deno.test("sd_notify: an address it cannot use (vsock, relative) is one line, no crash", async () => {
  for (const address of ["vsock:2:1234", "run/notify"]) {
    const { lines, stderr } = await client(["sequence"], { NOTIFY_SOCKET: address });
    assert.deepEqual(lines[0], { enabled: false, watchdogUsec: null, envLeft: null });
    assert.deepEqual(lines[1], [false, false, false, false, false]);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /neither an absolute path nor an @abstract name/);
  }
});
