/**
 * The RPC load generator: N connections to a Unix socket, each a closed
 * loop with one call in flight (`evrexec.run` or a method without
 * params), for a fixed time after a
 * warm-up. Measures latency per call and counts errors and lost calls.
 *
 * @module
 */

import { percentile } from "../common/stats.ts";

/** What to run. */
export interface LoadOptions {
  /** The server's socket. */
  readonly socket: string;
  /** How many connections at once. */
  readonly connections: number;
  /** Calls made before measuring, per connection, for this long (ms). */
  readonly warmupMs: number;
  /** How long calls are measured (ms). */
  readonly durationMs: number;
  /**
   * What each call is: `evrexec.run` of a function that must answer its
   * data, or a method without params whose result must be a string.
   */
  readonly call: { readonly run: string } | { readonly method: string };
  /** How long past the end an unanswered call is waited for before it counts as lost (ms). */
  readonly graceMs?: number;
}

/** What one load run measured. */
export interface LoadResult {
  /** Connections used. */
  readonly connections: number;
  /** Calls answered correctly within the measured time. */
  readonly calls: number;
  /** Calls answered correctly in the whole run, warm-up too. */
  readonly answered: number;
  /** Answered calls per second in the measured time. */
  readonly callsPerS: number;
  /** Median latency, in microseconds. */
  readonly p50Us: number;
  /** 99th percentile latency, in microseconds. */
  readonly p99Us: number;
  /** Answers that were errors, had a wrong id or a wrong result (whole run, warm-up too). */
  readonly errors: number;
  /** Calls never answered: the connection closed or the grace time ran out. */
  readonly lost: number;
  /** Connections that could not be opened. */
  readonly connectFailures: number;
  /** The first problem seen, if any, for the report. */
  readonly firstProblem: string | null;
}

const NEWLINE = 10;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads newline-terminated lines from a connection. */
class LineReader {
  #conn: Deno.Conn;
  #buffer = new Uint8Array(64 * 1024);
  #pending = new Uint8Array(0);

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** The next line without its newline; null at end of stream. */
  async next(): Promise<string | null> {
    while (true) {
      const at = this.#pending.indexOf(NEWLINE);
      if (at >= 0) {
        const line = decoder.decode(this.#pending.subarray(0, at));
        this.#pending = this.#pending.slice(at + 1);
        return line;
      }
      const n = await this.#conn.read(this.#buffer);
      if (n === null) return null;
      const joined = new Uint8Array(this.#pending.length + n);
      joined.set(this.#pending);
      joined.set(this.#buffer.subarray(0, n), this.#pending.length);
      this.#pending = joined;
    }
  }
}

interface Tally {
  answered: number;
  errors: number;
  lost: number;
  connectFailures: number;
  firstProblem: string | null;
  latencies: number[];
}

function problem(tally: Tally, what: string): void {
  tally.firstProblem ??= what;
}

/** One connection's closed loop. */
async function loop(
  conn: Deno.Conn,
  options: LoadOptions,
  tag: number,
  measureFrom: number,
  end: number,
  tally: Tally,
): Promise<void> {
  const reader = new LineReader(conn);
  const call = options.call;
  let id = 0;
  while (performance.now() < end) {
    id++;
    const data = `c${tag}-${id}`;
    const request = "run" in call
      ? `{"jsonrpc":"2.0","method":"evrexec.run","params":${
        JSON.stringify([call.run, data])
      },"id":${id}}\n`
      : `{"jsonrpc":"2.0","method":${JSON.stringify(call.method)},"id":${id}}\n`;
    const started = performance.now();
    let line: string | null;
    try {
      const bytes = encoder.encode(request);
      for (let done = 0; done < bytes.length;) done += await conn.write(bytes.subarray(done));
      line = await reader.next();
    } catch (error) {
      line = null;
      problem(tally, `connection ${tag}: ${error instanceof Error ? error.message : error}`);
    }
    const took = performance.now() - started;
    if (line === null) {
      tally.lost++;
      problem(tally, `connection ${tag}: call ${id} never answered`);
      return;
    }
    let ok = false;
    try {
      const answer = JSON.parse(line);
      ok = answer.id === id &&
        ("run" in call ? answer.result === data : typeof answer.result === "string");
    } catch {
      // not JSON: an error
    }
    if (!ok) {
      tally.errors++;
      problem(tally, `connection ${tag}: call ${id} answered ${line.slice(0, 200)}`);
      continue;
    }
    tally.answered++;
    if (started >= measureFrom && started < end) tally.latencies.push(took * 1000);
  }
}

/** Runs the load described by `options` against a running server. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const tally: Tally = {
    answered: 0,
    errors: 0,
    lost: 0,
    connectFailures: 0,
    firstProblem: null,
    latencies: [],
  };
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < options.connections; i++) {
    try {
      conns.push(await Deno.connect({ transport: "unix", path: options.socket }));
    } catch (error) {
      tally.connectFailures++;
      problem(tally, `connect: ${error instanceof Error ? error.message : error}`);
    }
  }
  const measureFrom = performance.now() + options.warmupMs;
  const end = measureFrom + options.durationMs;
  const closeAll = () => {
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // closed already
      }
    }
  };
  const grace = setTimeout(closeAll, end - performance.now() + (options.graceMs ?? 2000));
  try {
    await Promise.all(conns.map((conn, i) => loop(conn, options, i, measureFrom, end, tally)));
  } finally {
    clearTimeout(grace);
    closeAll();
  }
  const sorted = Float64Array.from(tally.latencies).sort();
  return {
    connections: options.connections,
    calls: sorted.length,
    answered: tally.answered,
    callsPerS: sorted.length / (options.durationMs / 1000),
    p50Us: percentile(sorted, 0.5),
    p99Us: percentile(sorted, 0.99),
    errors: tally.errors,
    lost: tally.lost,
    connectFailures: tally.connectFailures,
    firstProblem: tally.firstProblem,
  };
}
