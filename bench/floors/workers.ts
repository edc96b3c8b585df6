/**
 * The start-up and memory floor: a bare Deno program that starts N Web
 * Workers on an empty module, prints one line when every worker's first
 * message has arrived, and stays alive (workers too) until SIGTERM.
 *
 * With `--loop` each worker then idles in a 100 ms timer loop
 * (fixtures/worker_loop.ts), to show what such a loop costs, for a
 * memory figure. With `--node` the workers are `node:worker_threads` ones
 * capped at 256 MiB (the floor of the host's capped threads); with
 * `--process` they are child `deno run` processes on an empty module that
 * report over IPC (the floor of process workers).
 *
 * Usage: deno run --allow-read [--allow-run] bench/floors/workers.ts N [--loop|--node|--process]
 *
 * @module
 */

// Loaded only for the floors that use them: the Web Worker floor stays without Node's layer.
const { spawn } = Deno.args.includes("--process")
  ? await import("node:child_process")
  : { spawn: null };
const { Worker: NodeWorker } = Deno.args.includes("--node")
  ? await import("node:worker_threads")
  : { Worker: null };

const EMPTY_URL = new URL("./fixtures/worker.ts", import.meta.url);
const LOOP_URL = new URL("./fixtures/worker_loop.ts", import.meta.url);
const NODE_URL = new URL("./fixtures/node_worker.ts", import.meta.url);
const CHILD_URL = new URL("./fixtures/child.ts", import.meta.url);

/** Starts one worker of the kind asked; `up` is called on its first message. */
function startOne(up: () => void): { stop(): void } {
  if (NodeWorker !== null) {
    const worker = new NodeWorker(NODE_URL, { resourceLimits: { maxOldGenerationSizeMb: 256 } });
    worker.once("message", up);
    return { stop: () => worker.terminate() };
  }
  if (spawn !== null) {
    const child = spawn(Deno.execPath(), ["run", "--quiet", CHILD_URL.href], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.once("message", up);
    return { stop: () => child.kill("SIGKILL") };
  }
  const worker = new Worker(Deno.args.includes("--loop") ? LOOP_URL : EMPTY_URL, {
    type: "module",
  });
  worker.onmessage = up;
  return { stop: () => worker.terminate() };
}

if (import.meta.main) {
  const count = Number(Deno.args[0] ?? "0");
  if (!Number.isInteger(count) || count < 0) {
    console.error("usage: floors/workers.ts N [--loop|--node|--process]");
    Deno.exit(2);
  }
  const started = performance.now();
  const workers: { stop(): void }[] = [];
  let up = 0;
  const report = () =>
    console.log(
      `floor: all ${count} workers running after ${Math.round(performance.now() - started)} ms`,
    );
  for (let i = 0; i < count; i++) {
    workers.push(startOne(() => {
      if (++up === count) report();
    }));
  }
  if (count === 0) report();
  const keepAlive = setInterval(() => {}, 60_000);
  Deno.addSignalListener("SIGTERM", () => {
    clearInterval(keepAlive);
    for (const worker of workers) worker.stop();
    Deno.exit(0);
  });
}
