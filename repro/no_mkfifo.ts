// Deno gap: no way to make a FIFO (named pipe). Deno has no Deno.mkfifo,
// and node:fs has no mkfifo either; --rpc-fifo runs the mkfifo command
// instead (so the host needs --allow-run=mkfifo). Deno can use a FIFO once
// it exists: Deno.FileInfo has isFifo, and Deno.open reads it.
//
//   deno run --allow-read --allow-write --allow-run=mkfifo repro/no_mkfifo.ts
//
// Prints, on Deno 2.9.6:
//   Deno.mkfifo: missing
//   node:fs mkfifo: missing
//   mkfifo command made a FIFO: true        (the workaround)
//   gap present: yes

import * as fs from "node:fs";

const denoHas = "mkfifo" in Deno || "mkfifoSync" in Deno;
const nodeHas = "mkfifo" in fs || "mkfifoSync" in fs;
console.log(`Deno.mkfifo: ${denoHas ? "present" : "missing"}`);
console.log(`node:fs mkfifo: ${nodeHas ? "present" : "missing"}`);

const dir = Deno.makeTempDirSync();
try {
  const path = `${dir}/f`;
  await new Deno.Command("mkfifo", { args: ["-m", "0600", path] }).output();
  console.log(`mkfifo command made a FIFO: ${Deno.lstatSync(path).isFifo}`);
} finally {
  Deno.removeSync(dir, { recursive: true });
}
console.log(`gap present: ${denoHas || nodeHas ? "no" : "yes"}`);
