/**
 * The zero-hop prototype's listener takeover (issue 26: a replaced socket
 * worker's successor takes the listener over): starts bench/zerohop/server.ts
 * with a pool of one, opens a connection, asks for `zerohop.takeover`, and
 * measures (1) whether the old owner's connection is closed (EOF) and (2)
 * how long from that end until a new connection gets `evrexec.run`
 * answered, trying every 2 ms. Prints one line per run.
 *
 * Usage: deno run --allow-all bench/zerohop/takeover.ts [RUNS]
 *
 * @module
 */

import { FIXTURE, Launched, ROOT } from "../common/launch.ts";
import { Child, killAll } from "../common/proc.ts";

const SERVER = new URL("./server.ts", import.meta.url).pathname;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Sends one line and reads one answer line (null: the connection closed). */
async function call(conn: Deno.Conn, line: string): Promise<string | null> {
  await conn.write(encoder.encode(line + "\n"));
  let text = "";
  const buffer = new Uint8Array(4096);
  while (!text.includes("\n")) {
    const n = await conn.read(buffer);
    if (n === null) return null;
    text += decoder.decode(buffer.subarray(0, n));
  }
  return text;
}

const run = (id: number) =>
  `{"jsonrpc":"2.0","method":"evrexec.run","params":["echo","x${id}"],"id":${id}}`;

const runs = Number(Deno.args[0] ?? "5");
try {
  for (let r = 0; r < runs; r++) {
    const dir = await Deno.makeTempDir({ prefix: "evrexec-takeover-" });
    const socket = `${dir}/zero.sock`;
    const child = Child.spawn("zerohop", [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-net",
      SERVER,
      socket,
      FIXTURE,
      "1",
    ], { cwd: ROOT });
    const launched = new Launched(child, dir, socket);
    await child.waitLine(/^zerohop: listening/, 30_000);
    const old = await Deno.connect({ transport: "unix", path: socket });
    if (!(await call(old, run(1)))?.includes('"x1"')) throw new Error("first call failed");
    const asked = performance.now();
    await call(old, `{"jsonrpc":"2.0","method":"zerohop.takeover","id":2}`);
    const oldEnd = Promise.race([
      old.read(new Uint8Array(16)).then((n) => n === null ? "EOF" : "data", () => "error"),
      new Promise<string>((resolve) => setTimeout(() => resolve("silent 3 s"), 3000)),
    ]);
    // The old owner ends 50 ms after it answered: poll from its connection's end.
    const ended = await oldEnd;
    const endedAt = performance.now();
    let answeredAt = 0;
    let refused = 0;
    for (let id = 3; answeredAt === 0 && performance.now() - endedAt < 10_000; id++) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      try {
        const conn = await Deno.connect({ transport: "unix", path: socket });
        const answer = await Promise.race([
          call(conn, run(id)),
          new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000)),
        ]);
        conn.close();
        if (answer?.includes(`"x${id}"`)) answeredAt = performance.now();
      } catch {
        refused++;
      }
    }
    const line = (await child.waitLine(/^zerohop: taken over in .*/, 10_000)).match[0];
    console.log(
      `run ${r + 1}: old connection ${ended} ${
        (endedAt - asked).toFixed(0)
      } ms after the ask; a new call answered ${
        answeredAt === 0 ? "never" : (answeredAt - endedAt).toFixed(1)
      } ms after that (${refused} connects refused meanwhile); server: ${
        line.replace("zerohop: ", "")
      }`,
    );
    old.close();
    await launched.stop();
  }
} finally {
  await killAll();
}
