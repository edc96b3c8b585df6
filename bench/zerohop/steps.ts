/**
 * The zero-hop path's JavaScript steps, timed alone in a tight loop (no
 * socket): decode the bytes, split the line, `JSON.parse`, run the function
 * with the host's `perform` (the real `KSR`, `$evr` set and cleared), build
 * the answer line, encode it. What a call costs beyond these is the
 * socket's: the read and write syscalls and the event loop's wake-ups.
 *
 * Usage: deno run bench/zerohop/steps.ts [CALLS]
 *
 * @module
 */

import { createKsr, emptyEvr } from "../../kemi/ksr.ts";
import type {} from "../../kemi/mod.ts";
import { perform } from "../../src/worker/calls.ts";
import type { ScriptFunction, WorkerContext } from "../../src/worker/context.ts";

const calls = Number(Deno.args[0] ?? "200000");
const stopping = new AbortController();
const context: WorkerContext = {
  send: () => {},
  evr: emptyEvr(),
  stopping: stopping.signal,
  functions: new Map<string, ScriptFunction>([["echo", (data: string) => data]]),
};
globalThis.KSR = createKsr({
  log: () => {},
  evr: context.evr,
  shutdown: stopping.signal,
  shutdownRead: () => {},
});
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = encoder.encode(
  '{"jsonrpc":"2.0","method":"evrexec.run","params":["echo","c0-12345"],"id":12345}\n',
);

async function step(name: string, body: () => unknown | Promise<unknown>): Promise<void> {
  for (let i = 0; i < 20_000; i++) await body(); // warm-up
  const started = performance.now();
  for (let i = 0; i < calls; i++) await body();
  const us = (performance.now() - started) * 1000 / calls;
  console.log(`${name.padEnd(44)} ${us.toFixed(2)} µs/call`);
}

const text = decoder.decode(bytes);
const line = text.slice(0, text.indexOf("\n"));
await step("decode + split", () => {
  const t = decoder.decode(bytes, { stream: true });
  return t.slice(0, t.indexOf("\n"));
});
await step("JSON.parse + checks", () => {
  const r = JSON.parse(line);
  return r.method === "evrexec.run" && Array.isArray(r.params) && JSON.stringify(r.id);
});
await step(
  "perform (run echo, $evr, JSON of the value)",
  () => perform(context, "echo", "c0-12345"),
);
await step(
  "answer line + encode",
  () => encoder.encode(`{"jsonrpc":"2.0","result":"c0-12345","id":12345}\n`),
);
await step("all of them", async () => {
  const t = decoder.decode(bytes, { stream: true });
  const r = JSON.parse(t.slice(0, t.indexOf("\n")));
  const id = JSON.stringify(r.id);
  const outcome = await perform(context, r.params[0], r.params[1]);
  return encoder.encode(`{"jsonrpc":"2.0","result":${outcome.text},"id":${id}}\n`);
});
