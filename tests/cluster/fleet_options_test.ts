// The fleet's options and task keys (issue 23): every bad value is one line
// and exit 2; a database that cannot be reached at start is one line and
// exit 2; a node name a live host has is refused; a host without --cluster
// connects nowhere and answers the fleet's methods with one error.
import assert from "node:assert/strict";
import { fixture, ROOT, runHost, withHost } from "../helpers/host.ts";
import { postgresSkip, startPostgres } from "../helpers/postgres.ts";
import { FLEET_SCRIPT, startFleetHost, until } from "../helpers/fleet.ts";

const SCRIPT = fixture("fleet.ts");
const URL = "postgres://evrexec@127.0.0.1:1/postgres";

/** Runs the host with `args` before the script; expects exit 2 and one line matching `line`. */
async function refused(args: string[], line: RegExp) {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-test-" });
  const exit = await runHost(["--socket", `${dir}/rpc.sock`, ...args, SCRIPT]);
  await Deno.remove(dir, { recursive: true });
  assert.equal(exit.code, 2, exit.stderr);
  const lines = exit.stderr.trim().split("\n");
  assert.equal(lines.length, 1, exit.stderr);
  assert.match(lines[0], line);
}

Deno.test("fleet options: every bad value is one line and exit 2", async (t) => {
  const cases: [string[], RegExp][] = [
    [["--cluster", "mysql://db/x"], /--cluster must be a postgres:\/\/ or postgresql:\/\/ URL/],
    [["--cluster", "not a url"], /--cluster must be a URL such as postgres:/],
    [["--cluster", URL, "--node", "a b"], /--node must be 1 to 64 letters, digits/],
    [["--cluster", URL, "--node", "x".repeat(65)], /--node must be 1 to 64/],
    [["--cluster", URL, "--cluster-schema", "Bad"], /--cluster-schema must be a lower-case/],
    [["--cluster", URL, "--cluster-schema", "pg_x"], /--cluster-schema must be a lower-case/],
    [["--exec", "name=tick;singleton=cluster;every=1s"], /singleton=cluster needs a fleet/],
    [["--cluster", URL, "--exec", "name=tick;singleton=one"], /singleton must be one of cluster/],
    [["--cluster", URL, "--exec", "name=tick;lease=5s"], /lease needs singleton=cluster/],
    [
      ["--cluster", URL, "--exec", "name=tick;singleton=cluster;lease=500ms"],
      /lease must be from 1000 ms to 3600000 ms, got "500ms"/,
    ],
    [
      ["--cluster", URL, "--exec", "name=tick;singleton=cluster;lease=ten"],
      /lease must be a whole number with a unit/,
    ],
    [
      ["--cluster", URL, "--exec", "name=tick;singleton=cluster;every=1s;catchup=some"],
      /catchup must be one of skip, once, all, got "some"/,
    ],
    [
      ["--cluster", URL, "--exec", "name=tick;singleton=cluster;catchup=all"],
      /catchup needs every= or cron=/,
    ],
    [
      ["--cluster", URL, "--exec", "name=tick;singleton=cluster;every=1s;catchup_window=0s"],
      /catchup_window must be from 1 ms/,
    ],
    [
      ["--cluster", URL, "--exec", "name=tick;singleton=cluster;every=1s;catchup_window=8d"],
      /catchup_window must be a whole number with a unit/,
    ],
  ];
  for (const [args, line] of cases) {
    await t.step(args.join(" ").slice(0, 90), () => refused(args, line));
  }
});

Deno.test("fleet options: the config file's cluster key is read and checked", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-test-" });
  try {
    const config = `${dir}/evrexec.jsonc`;
    await Deno.writeTextFile(
      config,
      `{\n  "script": ${JSON.stringify(SCRIPT)},\n  "cluster": "mysql://db/x"\n}\n`,
    );
    const exit = await runHost(["--socket", `${dir}/rpc.sock`, "--config", config]);
    assert.equal(exit.code, 2, exit.stderr);
    assert.match(
      exit.stderr.trim(),
      /^evrexec-deno: .*evrexec\.jsonc:3:\d+: cluster must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fleet options: a database that cannot be reached at start is one line, exit 2", async () => {
  const started = performance.now();
  await refused(
    ["--cluster", "postgres://evrexec:secret@127.0.0.1:1/postgres", "--node", "a"],
    /^evrexec-deno: --cluster postgres:\/\/evrexec:\*\*\*@127\.0\.0\.1:1\/postgres: cannot reach the cluster database: /,
  );
  assert.ok(performance.now() - started < 15_000);
});

Deno.test(
  "fleet options: without --cluster nothing connects and the fleet's methods say so",
  withHost(SCRIPT, { exec: ["name=loop"] }, async (host) => {
    for (const method of ["evrexec.submit", "evrexec.cluster"]) {
      const params = method === "evrexec.submit" ? ["echo", "x"] : [];
      await assert.rejects(
        host.call(method, params),
        /this host is not in a fleet: start it with --cluster/,
      );
    }
    const list = await host.call("evrexec.list") as Record<string, unknown>[];
    assert.ok(!("holder" in list[0]), "no HOLDER without a fleet");
  }),
);

Deno.test({
  name: "fleet options: a node name a live host has is refused (exit 2); EVREXEC_CLUSTER joins",
  ignore: postgresSkip(),
  fn: async () => {
    const pg = await startPostgres();
    const out = `${pg.dir}/out`;
    // EVREXEC_CLUSTER stands for --cluster.
    const first = await startFleetHost(pg.url, "same", out, {
      env: { EVREXEC_CLUSTER: pg.url },
      exec: ["name=loop;singleton=cluster;lease=2s"],
    });
    try {
      const socket = `${first.dir}/second.sock`;
      const exit = await runHost([
        "--socket",
        socket,
        "--cluster",
        pg.url,
        "--node",
        "same",
        FLEET_SCRIPT,
      ]);
      assert.equal(exit.code, 2, exit.stderr);
      // One error line, last; before it the log says it looked again before refusing.
      const lines = exit.stderr.trim().split("\n");
      assert.equal(lines.filter((l) => l.startsWith("evrexec-deno:")).length, 1, exit.stderr);
      assert.match(lines.at(-1)!, /^evrexec-deno: --node same: a live host/);
      assert.match(exit.stderr, /a host with this name was seen \d+ ms ago; looking again/);
      assert.match(exit.stderr, /--node same: a live host of the fleet has this name \(.* pid \d+/);
      const view = await first.call("evrexec.cluster") as { nodes: { name: string }[] };
      assert.deepEqual(view.nodes.map((n) => n.name), ["same"]);
      // The client: short names, the HOLDER column, and top's fleet line.
      const client = (file: string, ...args: string[]) =>
        new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--quiet",
            "--allow-all",
            `${ROOT}src/client/${file}`,
            "-s",
            first.socket,
            ...args,
          ],
          env: { NO_COLOR: "1", COLUMNS: "200" },
        }).output().then((o) => new TextDecoder().decode(o.stdout));
      await until(
        async () => /HOLDER/.test(await client("main.ts", "evrexec.list")),
        10_000,
        "HOLDER",
      );
      await until(
        async () =>
          /^loop +active +same +0 +running/m.test(
            await client("main.ts", "evrexec.list"),
          ),
        10_000,
        "the loop held",
      );
      assert.match(await client("main.ts", "evrexec.list"), /^TASK +TASK STATE +HOLDER +INDEX/m);
      const submitted = JSON.parse(await client("main.ts", "submit", "echo", "via-client"));
      assert.equal(submitted.created, true);
      const result = JSON.parse(await client("main.ts", "result", String(submitted.id), "10000"));
      assert.deepEqual(result.result, { node: "same", data: "via-client" });
      assert.match(
        await client("top.ts", "--once"),
        /; fleet: node same, 1 live, database ok, queue 0 \(0 running\)/,
      );
    } finally {
      await first.cleanup();
      await pg.cleanup();
    }
  },
});
