// Request ids come back exactly as sent, over the stream socket (single requests and batches)
// and over both datagram transports: numbers beyond 2^53, 1.10, exponents, -0.
import assert from "node:assert/strict";
import { dgramExchange } from "./helpers/dgram_client.ts";
import { fixture, startHost } from "./helpers/host.ts";
import { RawClient } from "./helpers/raw.ts";

const IDS = ["123456789012345678901234567890", "1.10", "1e2", "-0", "9007199254740993", '"7"'];

const line = (id: string, method = "evrexec.run", params = '["echo","x"]') =>
  `{"jsonrpc":"2.0","method":"${method}","params":${params},"id":${id}}`;

/** The id's text in each answer of `text` (one answer per line, or an array). */
function idTexts(text: string): string[] {
  return [...text.matchAll(/"id":(.*?)}(?=,\{|\]|$|\n)/gm)].map((match) => match[1]);
}

Deno.test("ids: the stream socket and both datagram transports answer with the id as sent", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-ids-" });
  const host = await startHost(fixture("observe.ts"), {
    socket: `${dir}/rpc.sock`,
    args: ["--rpc-dgram", `unix:${dir}/dgram.sock`, "--rpc-dgram", "udp:127.0.0.1:0"],
  });
  try {
    const raw = await RawClient.connect(host.socket);
    const sent = [
      ...IDS.map((id) => line(id)),
      line("1.50", "no.such"), // an error answer
      line("2.50", "evrexec.run", '{"name":"echo","data":"{\\"id\\":3}","id":3}'), // -32602, an id in params
      `[${IDS.map((id) => line(id)).join(",")}]`,
    ];
    await raw.send(sent.join("\n") + "\n");
    await raw.lines(sent.length);
    const answers = raw.text.trimEnd().split("\n");
    const singles = answers.filter((answer) => !answer.startsWith("["));
    assert.deepEqual(idTexts(singles.join("\n")).sort(), [...IDS, "1.50", "2.50"].sort());
    const batch = answers.find((answer) => answer.startsWith("["))!;
    assert.deepEqual(idTexts(batch).sort(), [...IDS].sort());
    for (const answer of answers) JSON.parse(answer);
    await raw.close();

    const [, port] = await host.waitFor(/datagram JSON-RPC on udp:127\.0\.0\.1:(\d+)/);
    for (const address of [`unix:${dir}/dgram.sock`, `udp:127.0.0.1:${port}`]) {
      const replies = await dgramExchange(address, [
        ...IDS.map((id) => ({ data: line(id) })),
        { data: line("1.50", "no.such") },
        // An answer too big for a datagram is replaced by an error with the same id.
        { data: line("3.10", "evrexec.run", '["big","70000"]') },
      ]);
      assert.deepEqual(
        replies.map((reply) => idTexts(reply!)[0]),
        [...IDS, "1.50", "3.10"],
        address,
      );
      assert.match(replies.at(-1)!, /larger than one datagram carries/);
    }
  } finally {
    await host.cleanup();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
