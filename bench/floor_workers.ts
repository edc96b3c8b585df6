/**
 * The start-up and memory floor: a bare Deno program that starts N Web
 * Workers on an empty module, prints one line when every worker's first
 * message has arrived, and stays alive (workers too) until SIGTERM.
 *
 * With `--loop` each worker then idles in a 100 ms timer loop
 * (fixtures/floor_worker_loop.ts), to show what such a loop costs, for a
 * memory figure.
 *
 * Usage: deno run --allow-read bench/floor_workers.ts N [--loop]
 *
 * @module
 */

const EMPTY_URL = new URL("./fixtures/floor_worker.ts", import.meta.url);
const LOOP_URL = new URL("./fixtures/floor_worker_loop.ts", import.meta.url);

if (import.meta.main) {
  const count = Number(Deno.args[0] ?? "0");
  if (!Number.isInteger(count) || count < 0) {
    console.error("usage: floor_workers.ts N [--loop]");
    Deno.exit(2);
  }
  const url = Deno.args.includes("--loop") ? LOOP_URL : EMPTY_URL;
  const started = performance.now();
  const workers: Worker[] = [];
  let up = 0;
  const report = () =>
    console.log(
      `floor: all ${count} workers running after ${Math.round(performance.now() - started)} ms`,
    );
  for (let i = 0; i < count; i++) {
    const worker = new Worker(url, { type: "module" });
    worker.onmessage = () => {
      if (++up === count) report();
    };
    workers.push(worker);
  }
  if (count === 0) report();
  const keepAlive = setInterval(() => {}, 60_000);
  Deno.addSignalListener("SIGTERM", () => {
    clearInterval(keepAlive);
    for (const worker of workers) worker.terminate();
    Deno.exit(0);
  });
}
