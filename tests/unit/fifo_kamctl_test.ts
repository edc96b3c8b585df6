// The real kamctl (`kamctl rpc`), unchanged, against a throwaway server that
// reads its FIFO and answers with src/rpc/fifo_*.ts
// (tests/fixtures/kamailio/fifo_server.ts): given the results Kamailio 5.6.3
// gave in the recording, kamctl prints exactly what it printed for
// Kamailio. kamctl is pointed at the FIFO by a ~/.kamctlrc in a temporary
// HOME. Skipped, with a note, where kamctl or mkfifo is missing;
// tests/unit/fifo_codec_test.ts checks the same text without them.
import assert from "node:assert/strict";
import { kamctlExchanges } from "../fixtures/kamailio/recorded.ts";

function onPath(tool: string): boolean {
  return (Deno.env.get("PATH") ?? "").split(":").some((dir) => {
    try {
      return Deno.statSync(`${dir}/${tool}`).isFile;
    } catch {
      return false;
    }
  });
}

const runnable = onPath("kamctl") && onPath("mkfifo");
if (!runnable) {
  console.log("kamctl or mkfifo is missing: tests/unit/fifo_kamctl_test.ts is skipped");
}

const SERVER = new URL("../fixtures/kamailio/fifo_server.ts", import.meta.url).pathname;

/** kamctl's pid is the request id: the same output whatever the pid. */
function withoutId(text: string): string {
  return text.replace(/"id": \d+/g, '"id": PID');
}

Deno.test({
  name: "fifo with kamctl: `kamctl rpc` prints our replies exactly as it printed Kamailio's",
  ignore: !runnable,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fifo_kamctl_" });
    const fifo = `${dir}/kamailio_rpc.fifo`;
    await Deno.writeTextFile(`${dir}/.kamctlrc`, `RPCFIFOPATH=${fifo}\n`);
    const table: Record<string, unknown> = {};
    const calls: { method: string; stdout: string }[] = [];
    for (const exchange of kamctlExchanges()) {
      const [method, ...params] = exchange.command.slice(2);
      if (params.length > 0 || method === "evrexec.run") continue;
      const { result, error } = JSON.parse(exchange.reply_text);
      table[method] = error === undefined ? { result } : { error };
      calls.push({ method, stdout: exchange.kamctl_stdout });
    }
    assert.ok(calls.length >= 5, `${calls.length} recorded calls`);
    await Deno.writeTextFile(`${dir}/table.json`, JSON.stringify(table));
    const server = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-read",
        "--allow-write",
        "--allow-run=mkfifo",
        "--allow-sys=uid",
        SERVER,
        fifo,
        `${dir}/table.json`,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const kamctl = async (...args: string[]) => {
      const out = await new Deno.Command("kamctl", {
        args: ["rpc", ...args],
        env: { HOME: dir },
        stdin: "null",
      }).output();
      const text = new TextDecoder();
      return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
    };
    try {
      const reader = server.stdout.getReader();
      const first = await reader.read();
      assert.equal(new TextDecoder().decode(first.value), "ready\n");
      reader.releaseLock();

      for (const { method, stdout } of calls) {
        const got = await kamctl(method);
        assert.equal(withoutId(got.stdout), withoutId(stdout), method);
        assert.equal(got.code, 0, method);
      }

      const seed = await kamctl("evroute.run", "evroute:test", "mydata");
      assert.equal(
        withoutId(seed.stdout),
        '{\n  "jsonrpc":  "2.0",\n  "result": "evroute:test(mydata)",\n  "id": PID\n}\n',
      );
      const unknown = await kamctl("no.such");
      assert.equal(
        withoutId(unknown.stdout),
        '{\n  "jsonrpc":  "2.0",\n  "error":  {\n    "code": -32601,\n' +
          '    "message":  "Method Not Found"\n  },\n  "id": PID\n}\n',
      );
    } finally {
      server.kill("SIGTERM");
      await server.status;
      await server.stdout.cancel().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});
