/**
 * The one client of the side-by-side comparison with Kamailio: N closed
 * loops of `evrexec.run echo DATA`, one call in flight each, over a Unix
 * datagram socket (Kamailio's jsonrpcs, the host's `--rpc-dgram`) or the
 * host's stream socket; the same code builds, sends, reads and checks every
 * call, whichever server answers. Run as its own process, so that the
 * bench's own work stays out of the figures; prints one JSON line.
 *
 * Usage: deno run --unstable-net --allow-read --allow-write --allow-net bench/side_client.ts
 *        --transport dgram|stream --socket PATH --clients N --warmup-ms MS
 *        --duration-ms MS [--expect data|any] [--dir DIR]
 *
 * `--expect any`: any result is right (Kamailio's `evrexec.run` answers `{}`,
 * never the function's value); `data` (the default): the result must be the
 * data sent.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { LoadResult } from "./rpc_load.ts";
import { percentile } from "./stats.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = 10;
const FUNCTION = "echo";

/** Sends one request and resolves with the answer's text; null when the server is gone. */
type Exchange = (request: string) => Promise<string | null>;

/** One client's transport: its exchange and how to close it. */
interface Transport {
  readonly exchange: Exchange;
  close(): void;
}

/** A datagram client: its own socket, bound in `dir`; one datagram each way. */
function datagram(server: string, dir: string, tag: number): Transport {
  const conn = Deno.listenDatagram({
    transport: "unixpacket",
    path: `${dir}/client-${Deno.pid}-${tag}.sock`,
  });
  const to: Deno.UnixAddr = { transport: "unixpacket", path: server };
  const buffer = new Uint8Array(65_536);
  return {
    async exchange(request) {
      await conn.send(encoder.encode(request), to);
      const [data] = await conn.receive(buffer);
      return decoder.decode(data);
    },
    close: () => conn.close(),
  };
}

/** A stream client: newline-delimited JSON-RPC on one connection. */
async function stream(server: string): Promise<Transport> {
  const conn = await Deno.connect({ transport: "unix", path: server });
  const buffer = new Uint8Array(65_536);
  let pending = new Uint8Array(0);
  return {
    async exchange(request) {
      const bytes = encoder.encode(request + "\n");
      for (let done = 0; done < bytes.length;) done += await conn.write(bytes.subarray(done));
      while (true) {
        const at = pending.indexOf(NEWLINE);
        if (at >= 0) {
          const line = decoder.decode(pending.subarray(0, at));
          pending = pending.slice(at + 1);
          return line;
        }
        const n = await conn.read(buffer);
        if (n === null) return null;
        const joined = new Uint8Array(pending.length + n);
        joined.set(pending);
        joined.set(buffer.subarray(0, n), pending.length);
        pending = joined;
      }
    },
    close: () => conn.close(),
  };
}

interface Tally {
  answered: number;
  errors: number;
  lost: number;
  firstProblem: string | null;
  latencies: number[];
}

/** One client's closed loop until `end`; latencies of calls started after `measureFrom`. */
async function loop(
  transport: Transport,
  tag: number,
  expectData: boolean,
  measureFrom: number,
  end: number,
  tally: Tally,
): Promise<void> {
  let id = 0;
  while (performance.now() < end) {
    id++;
    const data = `c${tag}-${id}`;
    const request =
      `{"jsonrpc":"2.0","method":"evrexec.run","params":["${FUNCTION}","${data}"],"id":${id}}`;
    const started = performance.now();
    let text: string | null;
    try {
      text = await transport.exchange(request);
    } catch (error) {
      text = null;
      tally.firstProblem ??= `client ${tag}: ${error instanceof Error ? error.message : error}`;
    }
    const took = performance.now() - started;
    if (text === null) {
      tally.lost++;
      tally.firstProblem ??= `client ${tag}: call ${id} never answered`;
      return;
    }
    let ok = false;
    try {
      const answer = JSON.parse(text);
      ok = answer.id === id && "result" in answer && (!expectData || answer.result === data);
    } catch {
      // not JSON: an error
    }
    if (!ok) {
      tally.errors++;
      tally.firstProblem ??= `client ${tag}: call ${id} answered ${text.slice(0, 200)}`;
      continue;
    }
    tally.answered++;
    if (started >= measureFrom) tally.latencies.push(took * 1000);
  }
}

/** Runs the loads the command line describes; resolves with the figures. */
export async function main(args: readonly string[]): Promise<LoadResult> {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      transport: { type: "string", default: "dgram" },
      socket: { type: "string" },
      clients: { type: "string", default: "1" },
      "warmup-ms": { type: "string", default: "300" },
      "duration-ms": { type: "string", default: "1000" },
      expect: { type: "string", default: "data" },
      dir: { type: "string" },
    },
  });
  if (values.socket === undefined) throw new Error("--socket is required");
  const clients = Number(values.clients);
  const durationMs = Number(values["duration-ms"]);
  const dir = values.dir ?? await Deno.makeTempDir({ prefix: "evrexec-side-" });
  const tally: Tally = { answered: 0, errors: 0, lost: 0, firstProblem: null, latencies: [] };
  const transports: Transport[] = [];
  let connectFailures = 0;
  for (let tag = 0; tag < clients; tag++) {
    try {
      transports.push(
        values.transport === "stream"
          ? await stream(values.socket)
          : datagram(values.socket, dir, tag),
      );
    } catch (error) {
      connectFailures++;
      tally.firstProblem ??= `connect: ${error instanceof Error ? error.message : error}`;
    }
  }
  const measureFrom = performance.now() + Number(values["warmup-ms"]);
  const end = measureFrom + durationMs;
  const closeAll = () => transports.forEach((transport) => transport.close());
  // An answer never sent leaves its receive pending: closing ends it, as lost.
  const grace = setTimeout(closeAll, end - performance.now() + 2000);
  try {
    await Promise.all(
      transports.map((t, tag) => loop(t, tag, values.expect !== "any", measureFrom, end, tally)),
    );
  } finally {
    clearTimeout(grace);
    try {
      closeAll();
    } catch {
      // closed by the grace timer
    }
    if (values.dir === undefined) await Deno.remove(dir, { recursive: true });
  }
  const sorted = Float64Array.from(tally.latencies).sort();
  return {
    connections: clients,
    calls: sorted.length,
    answered: tally.answered,
    callsPerS: sorted.length / (durationMs / 1000),
    p50Us: percentile(sorted, 0.5),
    p99Us: percentile(sorted, 0.99),
    errors: tally.errors,
    lost: tally.lost,
    connectFailures,
    firstProblem: tally.firstProblem,
  };
}

if (import.meta.main) console.log(JSON.stringify(await main(Deno.args)));
