/**
 * The start-up probe's inside: run with the strictest sandbox (no
 * permission at all, the smallest heap cap), it tries one operation of each
 * permission kind asked for and reports those that were NOT refused, then,
 * when asked, allocates past its heap cap: the host expects the heap to run
 * out first. In a thread it talks through the port of its first message; as
 * a child process (`deno run probe.ts '<json>'`) through stdout.
 *
 * @module
 */

import { PROBE_FLAG, type ProbeReport, type ProbeRequest } from "../shared/probe_messages.ts";

const TRIES: Record<string, () => unknown> = {
  read: () => Deno.statSync("/"),
  write: () => Deno.removeSync("/nonexistent-evrexec-probe/x"),
  net: () => Deno.listen({ hostname: "127.0.0.1", port: 0 }).close(),
  env: () => Deno.env.get("PATH"),
  run: () => new Deno.Command("sh", { args: ["-c", ":"] }).outputSync(),
  sys: () => Deno.hostname(),
  ffi: () => Deno.dlopen("/nonexistent-evrexec-probe.so", {}),
  // Built at run time: a literal would be fetched with the probe's own module graph.
  import: () => import(["https://evrexec-probe.invalid", "probe.ts"].join("/")),
};

/** True when `error` is Deno's refusal of a permission. */
function refusal(error: unknown): boolean {
  return error instanceof Deno.errors.NotCapable ||
    error instanceof Deno.errors.PermissionDenied ||
    /Requires \w+ access/.test(error instanceof Error ? error.message : String(error));
}

/** The kinds whose operation was not refused. */
async function notRefused(kinds: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const kind of kinds) {
    try {
      await TRIES[kind]?.();
      found.push(kind);
    } catch (error) {
      if (!refusal(error)) found.push(kind);
    }
  }
  return found;
}

/** Allocates up to `mib` MiB, yielding and reporting every 4 MiB. */
async function allocate(mib: number, report: (message: ProbeReport) => void): Promise<void> {
  const hoard: number[][] = [];
  for (let i = 0; i < mib; i++) {
    hoard.push(new Array(131_072).fill(i + 0.5)); // 1 MiB of doubles
    if (i % 4 === 3) {
      report({ type: "allocated", mib: i + 1 });
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}

/** Runs `request`, reporting through `report`. */
async function probe(request: ProbeRequest, report: (message: ProbeReport) => void) {
  report({ type: "permissions", notRefused: await notRefused(request.kinds) });
  if (request.allocateMiB > 0) {
    await allocate(request.allocateMiB, report);
    report({ type: "heap-not-capped", mib: request.allocateMiB });
  }
}

if (Deno.args[0] === PROBE_FLAG) {
  probe(JSON.parse(Deno.args[1]) as ProbeRequest, (message) => {
    console.log(JSON.stringify(message));
  });
} else {
  const scope = globalThis as unknown as { onmessage: ((event: MessageEvent) => void) | null };
  scope.onmessage = (event) => {
    scope.onmessage = null;
    const port = event.ports[0];
    probe(event.data as ProbeRequest, (message) => port.postMessage(message));
  };
}
