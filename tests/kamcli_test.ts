// kamcli itself, unchanged, against the host's Unix datagram socket. Skipped,
// with a note, where kamcli is not installed; tests/rpc_dgram_test.ts covers
// the same transport with a client of our own.
import assert from "node:assert/strict";
import { fixture, withHost } from "./helpers/host.ts";

const OBSERVE = fixture("observe.ts");

function installed(tool: string): boolean {
  try {
    new Deno.Command(tool, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

const hasKamcli = installed("kamcli");
if (!hasKamcli) console.log("kamcli is not installed: tests/kamcli_test.ts is skipped");

async function kamcli(dir: string, ...args: string[]): Promise<string> {
  await Deno.writeTextFile(
    `${dir}/kamcli.ini`,
    [
      "[jsonrpc]",
      "transport=socket",
      `srvaddr=${dir}/kamailio_rpc.sock`,
      `rcvaddr=${dir}/kamailio_rpc_reply.sock`,
      "outformat=json",
    ].join("\n") + "\n",
  );
  const { code, stdout, stderr } = await new Deno.Command("kamcli", {
    args: ["--no-default-configs", "--config", `${dir}/kamcli.ini`, ...args],
  }).output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return text;
}

/** The JSON response kamcli printed (after its blank line). */
function response(text: string): { result?: unknown; error?: unknown } {
  return JSON.parse(text.slice(text.indexOf("{")));
}

Deno.test({
  name: "kamcli: ps, uptime, rpcmethods, stats and rpc work unchanged over the datagram socket",
  ignore: !hasKamcli,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "evrexec-kamcli-" });
    try {
      await withHost(OBSERVE, {
        exec: ["name=steady;workers=2"],
        socket: `${dir}/rpc.sock`,
        args: ["--rpc-dgram", `unix:${dir}/kamailio_rpc.sock`],
      }, async (host) => {
        await host.waitFor(/all 2 workers running/);
        const ps = (await kamcli(dir, "ps")).trimEnd().split("\n");
        assert.deepEqual(ps.map((line) => line.replace(/^\s*\d+\s+\d+ /, "")), [
          "RPC worker child=0",
          "RPC worker child=1",
          "EVREXEC child=0 exec=steady",
          "EVREXEC child=1 exec=steady",
        ]);
        assert.ok(ps.every((line) => line.includes(` ${host.pid} `)), ps.join("\n"));
        const uptime = response(await kamcli(dir, "uptime")).result as Record<string, unknown>;
        assert.deepEqual(Object.keys(uptime).sort(), ["now", "up_since", "uptime"]);
        const methods = response(await kamcli(dir, "rpcmethods")).result as string[];
        assert.ok(methods.includes("stats.get_statistics") && methods.includes("core.psx"));
        assert.equal(
          response(await kamcli(dir, "rpc", "evrexec.run", "echo", "s:hi")).result,
          "hi",
        );
        const group = response(await kamcli(dir, "stats", "evrexec")).result as string[];
        assert.ok(group.includes("evrexec:runs = 1"), group.join("\n"));
        assert.ok(group.every((line) => line.startsWith("evrexec:")));
        const one = response(await kamcli(dir, "stats", "-s", "steady-starts")).result;
        assert.deepEqual(one, ["task:steady-starts = 2"]);
        const all = response(await kamcli(dir, "stats")).result as string[];
        assert.ok(all.some((line) => line.startsWith("rpc:unix_dgram-requests = ")));
      })();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
