// The pure parts of operating the host: config files read and located, task sets
// compared, sizes, percentiles from buckets, the log file's rotation and drops,
// and the screen of `deno task top`.
import assert from "node:assert/strict";
import { readConfigFile, TextPositions } from "../../src/cli/config_file.ts";
import { parseCli } from "../../src/cli/args.ts";
import { readSize } from "../../src/cli/log_options.ts";
import { USAGE } from "../../src/cli/usage.ts";
import { HOST_OPTIONS } from "../../src/cli/host_options.ts";
import { LogFile } from "../../src/base/log_file.ts";
import { diffTasks } from "../../src/host/task_set.ts";
import { DURATION_BUCKETS, quantile } from "../../src/observe/histogram.ts";
import { parseExecSpec } from "../../src/config/exec_spec.ts";
import { scrollBy } from "../../src/client/top.ts";
import { renderScreen } from "../../src/client/top_screen.ts";
import type { TopView } from "../../src/client/top_model.ts";

const SCRIPT = new URL("../fixtures/operate.ts", import.meta.url).pathname;

async function withFile(text: string, body: (path: string) => void | Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-unit-" });
  try {
    await Deno.writeTextFile(`${dir}/c.jsonc`, text);
    await body(`${dir}/c.jsonc`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("config file: positions, values in the command line's form, paths near the file", async () => {
  const positions = new TextPositions("ab\ncd\n\nef");
  assert.deepEqual([0, 1, 3, 6, 7].map((o) => positions.at(o)), [
    "1:1",
    "1:2",
    "2:1",
    "3:1",
    "4:1",
  ]);
  await withFile(
    `{ "script": "s.ts", "socket": "run/s.sock", "rpc-workers": 4, "watch": true,
       "rpc-dgram": ["unix:k.sock", "udp:127.0.0.1:0"], "tasks": ["name=a", { "name": "b", "wait": 5 }] }`,
    (path) => {
      const dir = path.slice(0, path.lastIndexOf("/"));
      const file = readConfigFile(path);
      assert.equal(file.script?.raw, `${dir}/s.ts`);
      assert.deepEqual(file.values.get("socket")?.raw, `${dir}/run/s.sock`);
      assert.deepEqual(file.values.get("rpc-workers")?.raw, "4");
      assert.deepEqual(file.values.get("watch")?.raw, true);
      assert.deepEqual(file.values.get("rpc-dgram")?.raw, [
        `unix:${dir}/k.sock`,
        "udp:127.0.0.1:0",
      ]);
      assert.deepEqual(file.tasks.map((t) => t.task.spec), ["name=a", "name=b;wait=5"]);
      assert.match(file.values.get("rpc-workers")?.where ?? "", /c\.jsonc:1:60$/);
    },
  );
});

const FILE_MISTAKES: [string, RegExp][] = [
  ["[1, 2]", /c\.jsonc:1:1: the file must hold one JSON object/],
  ['{ "watch": "yes" }', /c\.jsonc:1:12: "watch" must be true or false, got a string/],
  ['{ "rpc-dgram": "udp:1:2" }', /c\.jsonc:1:16: "rpc-dgram" must be an array of strings/],
  ['{ "socket": 5 }', /c\.jsonc:1:13: "socket" must be a string, got a number/],
  [
    '{ "socket": "a", "socket": "b" }',
    /c\.jsonc:1:18: key "socket" is given twice \(first at 1:3\)/,
  ],
  ['{ "tasks": "name=a" }', /c\.jsonc:1:12: "tasks" must be an array of specs or objects/],
  [
    '{ "tasks": [5] }',
    /c\.jsonc:1:13: tasks\[0\] must be a spec string or an object, got a number/,
  ],
  [
    '{ "tasks": [{ "name": "a", "cron": "1;2" }] }',
    /c\.jsonc:1:36: tasks\[0\]: cron "1;2": invalid configuration format/,
  ],
  [
    '{ "tasks": [{ "name": "a", "allow-read": "x\\u0000" }] }',
    /c\.jsonc:1:42: tasks\[0\]: allow-read: "x\\u0000" is not valid/,
  ],
  ['{ "tasks": [{ "workers": 2 }] }', /c\.jsonc:1:13: tasks\[0\]: missing "name"/],
  ['{ "exec": ["name=a"] }', /unknown key "exec" \(expected script, tasks,/],
  ['{ "help": true }', /unknown key "help"/],
  ["{ /* open", /c\.jsonc:1:3: syntax error: unexpected end of comment/],
];

for (const [text, pattern] of FILE_MISTAKES) {
  Deno.test(`config file: ${text} is one located error`, () =>
    withFile(text, (path) => {
      assert.throws(() => readConfigFile(path), (error: Error) => {
        assert.match(error.message, pattern);
        assert.ok(!error.message.includes("\n"));
        return true;
      });
    }));
}

Deno.test("config file: a task object hands its values over as they are; a ';' splits nothing", () =>
  withFile('{ "tasks": [{ "name": "a;workers=3", "every": " 10s " }] }', (path) => {
    const [{ task }] = readConfigFile(path).tasks;
    assert.deepEqual([task.name, task.workers], ["a;workers=3", 1]);
    assert.equal(
      task.schedule?.text,
      "every=10s",
      "blanks around a value are trimmed, as in a spec",
    );
    assert.equal(task.spec, 'name="a;workers=3";every=10s');
  }));

Deno.test("config file: flags win, --exec adds, a reread tells what needs a restart", () =>
  withFile(
    `{ "script": "${SCRIPT}", "tasks": ["name=alpha"], "rpc-queue": 7, "log-level": "debug" }`,
    async (path) => {
      const request = parseCli(["--config", path, "--log-level", "error", "-e", "name=beta"]);
      assert.equal(request.kind, "run");
      if (request.kind !== "run") return;
      assert.deepEqual(
        [request.config.rpcQueue, request.config.logLevel, request.config.configFile],
        [7, "error", path],
      );
      assert.deepEqual(request.config.tasks.map((t) => t.name), ["alpha", "beta"]);
      await Deno.writeTextFile(
        path,
        `{ "script": "${SCRIPT}", "tasks": ["name=gamma"], "rpc-queue": 9, "max-stuck": 3 }`,
      );
      const again = request.reread();
      assert.deepEqual(again.config.tasks.map((t) => t.name), ["gamma", "beta"]);
      assert.equal(again.config.rpcQueue, 9);
      assert.deepEqual(again.needsRestart, ["max-stuck"], "log-level is still the flag's");
    },
  ));

Deno.test("options: every option has one line in --help; sizes read as the docs say", () => {
  for (const option of HOST_OPTIONS) assert.match(USAGE, new RegExp(`--${option.name}\\b`));
  assert.deepEqual(["0", "1K", "10M", "2g", "4096", "3MiB"].map((s) => readSize("x", s)), [
    0,
    1024,
    10 * 1024 ** 2,
    2 * 1024 ** 3,
    4096,
    3 * 1024 ** 2,
  ]);
  for (const bad of ["", "10X", "1.5M", "100", "2048G", "-1"]) {
    assert.throws(() => readSize("--log-max-size", bad), /--log-max-size must be 0 or a size/);
  }
});

Deno.test("task sets: added, removed, changed and unchanged by name; the spec's wording does not count", () => {
  const tasks = (...specs: string[]) => specs.map(parseExecSpec);
  const changes = diffTasks(
    tasks("name=a;workers=2", "name=b", "name=c;every=1s", "name=d;sockaddr=udp:127.0.0.1:9"),
    tasks("workers=2;name=a", "name=c;every=2s", "name=e", "NAME=d;sockaddr=UDP:127.0.0.1:9"),
  );
  assert.deepEqual(changes, {
    added: ["e"],
    removed: ["b"],
    changed: ["c"],
    unchanged: ["a", "d"],
  });
});

Deno.test("histogram: p50 and p99 interpolated within their bucket", () => {
  const counts = new Array(DURATION_BUCKETS.length + 1).fill(0);
  assert.equal(quantile(counts, 0.5), null);
  counts[3] = 100; // 100 calls between 0.5 ms and 1 ms
  assert.equal(quantile(counts, 0.5), 0.00075);
  counts[counts.length - 1] = 1; // one call above every bound answers the last bound
  assert.equal(quantile(counts, 1), DURATION_BUCKETS[DURATION_BUCKETS.length - 1]);
});

Deno.test("log file: a disk that refuses writes drops and counts; keep=0 rotates by removal", async () => {
  const problems: string[] = [];
  const told: number[] = [];
  const events = { dropped: (n: number) => told.push(n), problem: (m: string) => problems.push(m) };
  const full = await LogFile.open({ path: "/dev/full", maxBytes: 100, keep: 2 }, events);
  const record = new TextEncoder().encode("a record\n");
  for (let i = 0; i < 10; i++) full.write(record);
  await full.flush(2000);
  assert.equal(full.dropped, 10, "ENOSPC: every record dropped and counted");
  assert.deepEqual([told, problems], [[], []], "no rotation of a device");
  full.close();
  const dir = await Deno.makeTempDir({ prefix: "evrexec-unit-" });
  try {
    const file = await LogFile.open({ path: `${dir}/x.log`, maxBytes: 1024, keep: 0 }, events);
    for (let i = 0; i < 300; i++) file.write(record);
    await file.flush(2000);
    file.close();
    const names = [...Deno.readDirSync(dir)].map((entry) => entry.name);
    assert.deepEqual(names, ["x.log"]);
    assert.ok(Deno.statSync(`${dir}/x.log`).size <= 1024);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("top: keys scroll by line and page; the screen fits the window", () => {
  assert.equal(scrollBy("\x1b[B\x1b[B\x1bOB", 10), 3);
  assert.equal(scrollBy("\x1b[A", 10), -1);
  assert.equal(scrollBy("\x1b[6~\x1b[6~\x1b[5~", 10), 10);
  const view: TopView = {
    version: "evrexec-deno 0.1.0",
    uptimeS: 75,
    gauges: new Map([["rpc:queue_length", 4], ["rpc:connections", 2]]),
    workers: Array.from({ length: 30 }, (_, i) => ({
      idx: i,
      role: "exec",
      task: `task${i}`,
      taskState: "active",
      index: "0",
      state: "running",
      uptime: "1m15s",
      restarts: "0",
      heap: 5 * 1024 * 1024,
      lastError: i === 3 ? "10s ago: a long error message ".repeat(5) : "-",
    })),
    functions: [{
      name: "echo",
      rate: 12.5,
      calls: 40,
      errors: 1,
      timeouts: 0,
      p50: 0.2,
      p99: 3,
      sinceStart: false,
    }],
    fleet: null,
  };
  const state = { socket: "/tmp/s.sock", now: new Date(0), scroll: 0, problem: null };
  const lines = renderScreen(view, state, { columns: 60, rows: 12 });
  assert.equal(lines.length, 12);
  assert.ok(lines.every((line) => line.length <= 60));
  assert.match(lines[0], /^evrexec top - evrexec-deno 0\.1\.0 - up 1m15s - /);
  assert.match(lines[2], /^RPC 12\.5 calls\/s, queue 4, running 0, connections 2$/);
  assert.match(lines.join("\n"), /5\.0M/);
  const bottom = renderScreen(view, { ...state, scroll: 1000 }, { columns: 100, rows: 12 });
  assert.match(bottom.at(-1)!, /^echo +12\.5 +40 +1 +0 +0\.20ms +3\.00ms$/);
  assert.doesNotMatch(lines[1], /fleet/);
  const fleet = { node: "a", database: "ok", nodes: 3, queued: 2, running: 1 };
  const inFleet = renderScreen({ ...view, fleet }, state, { columns: 200, rows: 12 });
  assert.match(inFleet[1], /; fleet: node a, 3 live, database ok, queue 2 \(1 running\)$/);
  // A long socket path is cut before the clock is: the clock stays at the end of the line.
  const longPath = { ...state, socket: `/tmp/${"x".repeat(200)}/rpc.sock` };
  const [title] = renderScreen(view, longPath, { columns: 80, rows: 12 });
  assert.equal(title.length, 80);
  assert.match(title, /… {2}\d\d:\d\d:\d\d$/);
});
