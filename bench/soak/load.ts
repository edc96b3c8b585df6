/**
 * The soak's mixed load: pipelined calls, batches, throws, timeouts and
 * hangs, connections opened and dropped, and control calls (restart,
 * reload) every few seconds, all until a deadline.
 *
 * @module
 */

import { sleep } from "../common/proc.ts";
import type { Ledger } from "./ledger.ts";
import { type Call, SoakClient } from "./client.ts";

/** How hard and how often each part of the load goes. */
export interface LoadSettings {
  /** Pipelining connections. */
  readonly pipelines: number;
  /** Calls per second each pipelining connection aims at. */
  readonly callsPerSecond: number;
  /** Calls sent at once by a pipelining connection. */
  readonly burst: number;
  /** A batch every this many ms. */
  readonly batchEveryMs: number;
  /** Elements per batch. */
  readonly batchSize: number;
  /** A call that overruns `--rpc-timeout`, and one that never settles, every this many ms. */
  readonly timeoutEveryMs: number;
  /** The overrunning call's length, ms (more than the host's `--rpc-timeout`). */
  readonly overrunMs: number;
  /** A short-lived connection every this many ms. */
  readonly churnEveryMs: number;
  /** `evrexec.reload` every this many ms. */
  readonly reloadEveryMs: number;
  /** `evrexec.restart` of a task every this many ms (tasks in turn). */
  readonly restartEveryMs: number;
  /** The tasks to restart in turn. */
  readonly restartTasks: readonly string[];
}

/** Counts of what the load did besides calls. */
export interface LoadCounts {
  /** Short-lived connections opened. */
  connections: number;
  /** Of those, dropped with calls running. */
  dropped: number;
  /** `evrexec.reload` calls. */
  reloads: number;
  /** `evrexec.restart` calls. */
  restarts: number;
}

/** Every connection the load opened, so that a stuck load can be ended. */
const clients = new Set<SoakClient>();

async function connect(socket: string, ledger: Ledger): Promise<SoakClient> {
  const client = await SoakClient.connect(socket, ledger);
  clients.add(client);
  client.ended.then(() => clients.delete(client));
  return client;
}

/** Closes every connection of the load: calls still waiting for answers give up. */
export function closeLoad(): void {
  for (const client of clients) client.close();
}

let serial = 0;
const run = (kind: string, fn: string, data: string, expect: Call["expect"]): Call => ({
  kind,
  method: "evrexec.run",
  params: [fn, data],
  expect,
});
const echo = () => {
  const data = `e${serial++}`;
  return run("echo", "echo", data, { result: data });
};
const fail = () => run("throw", "fail", `f${serial++}`, "error");
const control = (method: string, params: unknown[]): Call => ({
  kind: method,
  method,
  params,
  expect: "any",
});

/** A call of the everyday mix: mostly echoes, some throws, a few short waits. */
function mixed(i: number): Call {
  if (i % 20 === 7) return fail();
  if (i % 50 === 13) return run("slow", "slow", "5", { result: 5 });
  return echo();
}

/** Repeats `step` every `everyMs` until `until` (performance.now()). */
async function every(everyMs: number, until: number, step: () => Promise<void>): Promise<void> {
  while (performance.now() < until) {
    const started = performance.now();
    await step();
    const now = performance.now();
    await sleep(Math.max(0, Math.min(everyMs - (now - started), until - now)));
  }
}

async function pipeline(socket: string, ledger: Ledger, s: LoadSettings, until: number) {
  const client = await connect(socket, ledger);
  const roundMs = 1000 * s.burst / s.callsPerSecond;
  let i = 0;
  await every(roundMs, until, async () => {
    if (client.closed) return;
    await client.call(...Array.from({ length: s.burst }, () => mixed(i++)));
  });
  client.close();
}

async function batches(socket: string, ledger: Ledger, s: LoadSettings, until: number) {
  const client = await connect(socket, ledger);
  let i = 0;
  await every(s.batchEveryMs, until, async () => {
    if (client.closed) return;
    const calls = Array.from({ length: s.batchSize }, () => mixed(i++));
    await (await client.send(calls, true)).answered;
  });
  client.close();
}

async function timeouts(socket: string, ledger: Ledger, s: LoadSettings, until: number) {
  const client = await connect(socket, ledger);
  const pending: Promise<void>[] = [];
  await every(s.timeoutEveryMs, until, async () => {
    if (client.closed) return;
    const overrun = run("overrun", "slow", String(s.overrunMs), "error");
    pending.push(client.call(overrun, run("hang", "hang", "", "error")));
    await Promise.resolve();
  });
  await Promise.all(pending);
  client.close();
}

async function churn(
  socket: string,
  ledger: Ledger,
  s: LoadSettings,
  until: number,
  counts: LoadCounts,
) {
  let i = 0;
  await every(s.churnEveryMs, until, async () => {
    const client = await connect(socket, ledger);
    counts.connections++;
    const kind = i++ % 4;
    if (kind === 0) {
      client.close(); // opened and closed, nothing sent
    } else if (kind === 1) {
      const { ids } = await client.send([echo(), run("slow", "slow", "50", { result: 50 })]);
      client.close(); // dropped with its calls running
      await client.ended;
      for (const id of ids) ledger.drop(id);
      counts.dropped++;
    } else {
      await client.call(echo());
      client.close();
    }
  });
}

async function controls(
  socket: string,
  ledger: Ledger,
  s: LoadSettings,
  until: number,
  counts: LoadCounts,
) {
  const client = await connect(socket, ledger);
  let task = 0;
  await Promise.all([
    every(s.reloadEveryMs, until, async () => {
      counts.reloads++;
      await client.call(control("evrexec.reload", []));
    }),
    every(s.restartEveryMs, until, async () => {
      counts.restarts++;
      const name = s.restartTasks[task++ % s.restartTasks.length];
      await client.call(control("evrexec.restart", [name]));
    }),
  ]);
  client.close();
}

/** Runs the whole load until `until` (performance.now()); resolves when every part is done. */
export async function runLoad(
  socket: string,
  ledger: Ledger,
  settings: LoadSettings,
  until: number,
  counts: LoadCounts,
): Promise<void> {
  await Promise.all([
    ...Array.from({ length: settings.pipelines }, () => pipeline(socket, ledger, settings, until)),
    batches(socket, ledger, settings, until),
    timeouts(socket, ledger, settings, until),
    churn(socket, ledger, settings, until, counts),
    controls(socket, ledger, settings, until, counts),
  ]);
}
