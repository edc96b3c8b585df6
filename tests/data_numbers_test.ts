// Numbers as evrexec.run data (third round): data that is not a string is passed as its JSON text,
// so a number whose JSON text the host cannot give back (past the double range, an integer past
// 2^53 whose digits a double loses) is refused with -32602 instead of reaching the function as
// "null" or rounded; -0 stays "-0"; every other number is passed as before.
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

Deno.test(
  "data numbers: a number the host cannot pass as its JSON text is -32602, not null or rounded",
  withHost(SCRIPT, {}, async (host) => {
    const client = await RawClient.connect(host.socket);
    try {
      for (
        const token of ["1e400", "-1e999", "123456789012345678901234567890", "9007199254740993"]
      ) {
        const answer = await runWith(client, token);
        const error = answer.error as { code: number; message: string } | undefined;
        assert.equal(error?.code, -32602, `${token}: ${JSON.stringify(answer)}`);
        assert.match(error.message, /send it as a string/);
      }
      for (
        const [token, text] of [
          ["-0", "-0"],
          ["12", "12"],
          ["1.5", "1.5"],
          ["1e-400", "0"],
          [
            "9007199254740991",
            "9007199254740991",
          ],
          ["true", "true"],
          ['{"n":-0}', '{"n":0}'],
        ]
      ) {
        assert.deepEqual(await runWith(client, token), { jsonrpc: "2.0", result: text, id: 1 });
      }
    } finally {
      client.conn.close();
    }
  }),
);
