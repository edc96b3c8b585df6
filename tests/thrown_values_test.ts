// Whatever a script throws, the caller gets -32000 with a best-effort text and the worker lives
// on: objects whose toString throws, Proxies that throw on every trap, symbols, null, errors
// with throwing getters or a 50 MB message. An exec task that throws such a value is logged.
import assert from "node:assert/strict";
import { RpcError } from "../src/rpc/errors.ts";
import { fixture, withHost } from "./helpers/host.ts";

const SCRIPT = fixture("throws.ts");

/** What each thrown value is answered with: the message, or a pattern for it. */
const EXPECTED: [string, RegExp][] = [
  ["toString", /^a thrown object that cannot be shown as text$/],
  ["proxy", /^a thrown object that cannot be shown as text$/],
  ["symbol", /^Symbol\(thrown\)$/],
  ["null", /^null$/],
  ["undefined", /^undefined$/],
  ["nullProto", /^a thrown object that cannot be shown as text$/],
  ["getters", /^shown$/],
  ["ownGetters", /^a thrown object that cannot be shown as text$/],
  ["hugeMessage", /^m{16384}… \(49983616 more characters\)$/],
  ["hugeString", /^s{16384}… \(49983616 more characters\)$/],
  ["plain", /^a plain object$/],
  ["number", /^42$/],
];

async function expectFailed(call: () => Promise<unknown>, pattern: RegExp, what: string) {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof RpcError, `${what}: ${error}`);
    assert.equal(error.code, -32000, `${what}: ${error.message.slice(0, 200)}`);
    assert.match(error.message, pattern, what);
    return true;
  });
}

const KINDS = [
  ["thread", ["--rpc-workers", "1"]],
  ["web worker", ["--rpc-workers", "1", "--worker-heap", "0"]],
  ["process", ["--rpc-pool", "workers=1;isolation=process"]],
] as const;

for (const [kind, args] of KINDS) {
  Deno.test(
    `thrown values (${kind}): every value a function throws is answered -32000; the worker lives on`,
    withHost(SCRIPT, { args, permissions: ["--allow-run"] }, async (host) => {
      const client = await host.client();
      for (const [value, pattern] of EXPECTED) {
        for (const fn of ["throwIt", "rejectIt"]) {
          await expectFailed(
            () => client.call("evrexec.run", [fn, value]),
            pattern,
            `${fn} ${value}`,
          );
        }
      }
      assert.equal(await client.call("evrexec.run", ["echo", "still here"]), "still here");
      assert.equal(host.count(/rpc worker 0:|worker crashed/), 0, host.log);
      const psx = await client.call("core.psx") as { DSC: string }[];
      assert.ok(psx.length > 0);
    }),
  );
}

Deno.test(
  "thrown values: an exec task that throws a hostile value is logged as ended, the host runs on",
  withHost(SCRIPT, {
    exec: ["name=execProxy", "name=execToString", "name=steady"],
  }, async (host) => {
    await host.waitFor(/task "execProxy" worker 0: .*cannot be shown as text/);
    await host.waitFor(/task "execToString" worker 0: .*cannot be shown as text/);
    const list = await host.call("evrexec.list") as { name: string; state: string }[];
    assert.deepEqual(list.map((task) => task.name), ["execProxy", "execToString", "steady"]);
    assert.equal(await host.call("evrexec.run", ["echo", "ok"]), "ok");
  }),
);
