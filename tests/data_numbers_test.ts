// Numbers as evrexec.run data (third round): data that is not a string is passed as its JSON text,
// so a number past a double's range (JSON.parse makes it Infinity, whose JSON text is "null") is
// refused with -32602 instead of reaching the function as "null"; -0 stays "-0"; every other
// number is passed as the double's JSON text, as before (digits past a double's precision are
// lost, as docs/rpc.md says).
import assert from "node:assert/strict";
import { RawClient } from "./helpers/raw.ts";
import { fixture, sleep, withHost } from "./helpers/host.ts";

const SCRIPT = fixture("log_data.ts");

async function runWith(client: RawClient, data: string): Promise<Record<string, unknown>> {
  const before = client.lineCount;
  await client.send(`{"jsonrpc":"2.0","id":1,"method":"evrexec.run","params":["echo",${data}]}\n`);
  const deadline = Date.now() + 10_000;
  while (client.lineCount === before) {
    assert.ok(Date.now() < deadline, `no answer for ${data}`);
    await sleep(10);
  }
  return JSON.parse(client.text.trimEnd().split("\n").at(-1)!);
}

const PASSED: [string, string][] = [
  ["-0", "-0"],
  ["12", "12"],
  ["1.5", "1.5"],
  ["1e-400", "0"],
  ["true", "true"],
  ['{"n":-0}', '{"n":0}'],
  ["-9007199254740992", "-9007199254740992"],
  ["123456789012345678901234567890", "1.2345678901234568e+29"],
];

Deno.test(
  "data numbers: a number past a double's range is -32602, not null; -0 stays -0",
  withHost(SCRIPT, {}, async (host) => {
    const client = await RawClient.connect(host.socket);
    try {
      for (const token of ["1e400", "-1e999", '{"a":[1e309]}']) {
        const answer = await runWith(client, token);
        const error = answer.error as { code: number; message: string } | undefined;
        assert.equal(error?.code, -32602, `${token}: ${JSON.stringify(answer)}`);
        assert.match(error.message, /past a double's range.*send it as a string/);
      }
      for (const [token, text] of PASSED) {
        assert.deepEqual(await runWith(client, token), { jsonrpc: "2.0", result: text, id: 1 });
      }
    } finally {
      client.conn.close();
    }
  }),
);
