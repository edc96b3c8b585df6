// The real kamcmd, unchanged, against a throwaway server that answers with
// src/rpc/kamailio/binrpc.ts (tests/fixtures/kamailio/binrpc_server.ts): given the
// results Kamailio 5.6.3 gave in the recording, kamcmd prints exactly what
// it printed for Kamailio. Skipped, with a note, where kamcmd is missing;
// tests/unit/binrpc_codec_test.ts checks the same bytes without it.
import assert from "node:assert/strict";
import { type BinrpcRecord, decodeReply, recordValue } from "../../src/rpc/kamailio/binrpc.ts";
import { kamcmdExchanges, unhex } from "../fixtures/kamailio/recorded.ts";

function installed(tool: string): boolean {
  try {
    new Deno.Command(tool, { args: ["-V"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

const hasKamcmd = installed("kamcmd");
if (!hasKamcmd) console.log("kamcmd is not installed: tests/unit/binrpc_kamcmd_test.ts is skipped");

const SERVER = new URL("../fixtures/kamailio/binrpc_server.ts", import.meta.url).pathname;

/** Structs of plain values (Kamailio's arrays) as arrays; the rest as recordValue gives it. */
function plain(record: BinrpcRecord): unknown {
  if (record.type !== "struct") return recordValue(record);
  if (record.members.length > 0 && record.members.every((m) => m.name === null)) {
    return record.members.map((m) => plain(m.value));
  }
  return Object.fromEntries(record.members.map((m) => [m.name, plain(m.value)]));
}

/** The recorded calls without params, and what Kamailio answered each. */
function recordedTable() {
  const table: Record<string, { result: unknown } | { fault: [number, string] }> = {};
  const calls: { args: string[]; stdout: string }[] = [];
  for (const exchange of kamcmdExchanges()) {
    const args = exchange.command.slice(3);
    if (args.length !== 1 || exchange.reply_hex === "") continue;
    const reply = decodeReply(unhex(exchange.reply_hex));
    if (reply.kind !== "reply" && reply.kind !== "fault") continue;
    const values = reply.records.map(plain);
    const method = { ps: "core.ps" }[args[0]] ?? args[0];
    table[method] = reply.kind === "fault"
      ? { fault: values as [number, string] }
      : { result: values.length === 1 && !Array.isArray(values[0]) ? values[0] : values };
    calls.push({ args, stdout: exchange.kamcmd_stdout });
  }
  return { table, calls };
}

async function kamcmd(socket: string, ...args: string[]) {
  const out = await new Deno.Command("kamcmd", { args: ["-s", `unix:${socket}`, ...args] })
    .output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test({
  name: "binrpc with kamcmd: it prints our replies exactly as it printed Kamailio's",
  ignore: !hasKamcmd,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "binrpc_kamcmd_" });
    const socket = `${dir}/ctl.sock`;
    const { table, calls } = recordedTable();
    assert.ok(calls.length >= 10, `${calls.length} recorded calls`);
    await Deno.writeTextFile(`${dir}/table.json`, JSON.stringify(table));
    const server = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-read",
        "--allow-write",
        "--allow-net",
        SERVER,
        socket,
        `${dir}/table.json`,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const reader = server.stdout.getReader();
      const first = await reader.read();
      assert.equal(new TextDecoder().decode(first.value), "ready\n");
      reader.releaseLock();

      // shm.info and shm.stats: Kamailio sends integral doubles; kamcmd prints them as ints anyway
      for (const { args, stdout } of calls) {
        const got = await kamcmd(socket, ...args);
        assert.equal(got.stdout, stdout, args.join(" "));
        assert.equal(got.code, 0, args.join(" "));
      }

      const run = await kamcmd(socket, "evrexec.run", "echo", "hi");
      assert.deepEqual(run, { code: 0, stdout: "echo(hi)\n", stderr: "" });
      const seed = await kamcmd(socket, "evroute.run", "evroute:test", "mydata");
      assert.equal(seed.stdout, "evroute:test(mydata)\n");
      const unknown = await kamcmd(socket, "no.such", "x");
      assert.deepEqual(unknown, {
        code: 0,
        stdout: "error: 500 - command no.such not found\n",
        stderr: "",
      });
    } finally {
      server.kill("SIGTERM");
      await server.status;
      await server.stdout.cancel().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});
