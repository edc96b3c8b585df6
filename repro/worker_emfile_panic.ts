// A Worker started when fewer than about 6 file descriptors are free makes
// Deno panic, which ends the whole process, instead of failing that one start.
//
//   prlimit --nofile=64:64 deno run --allow-read=/dev/null repro/worker_emfile_panic.ts
//
// Deno 2.9.6 prints "Deno has panicked" (`runtime/tokio_util.rs:66` or
// `ext/io/lib.rs:337`: `Too many open files`) and exits 1 without printing
// "gap fixed". With 6 descriptors free a Web Worker starts (a
// `node:worker_threads` worker needs 4).
const files: Deno.FsFile[] = [];
try {
  for (;;) files.push(Deno.openSync("/dev/null"));
} catch {
  // out of descriptors: the process is at its limit
}
for (let i = 0; i < 3; i++) files.pop()?.close(); // 3 free
const source = "self.postMessage('up'); self.close();";
const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
let outcome = "no answer";
try {
  const worker = new Worker(url, { type: "module" });
  outcome = await new Promise<string>((resolve) => {
    worker.onmessage = () => resolve("started");
    worker.onerror = (event) => {
      event.preventDefault();
      resolve(`failed: ${event.message}`);
    };
    setTimeout(() => resolve("no answer"), 5000);
  });
} catch (error) {
  outcome = `threw: ${error}`;
}
console.log(`worker with 3 descriptors free: ${outcome}; gap fixed`);
for (const file of files) file.close();
Deno.exit(0);
