// Deno 2.9.2+ opens its V8 inspector on 127.0.0.1:9229 when a process gets SIGUSR1
// (denoland/deno#35738): any local user may then connect and run code with the
// process's permissions. Deno has no flag to turn it off. What does keep it shut: an
// inspector server that runs already, on an address nobody can connect to
// (127.255.255.255, the loopback broadcast address: a TCP connect to it fails with
// ENETUNREACH). And what undoes that: node:inspector's close(), which any worker may
// call without a permission.
//
//   deno run --allow-run --allow-net --allow-read --allow-write repro/sigusr1_inspector.ts
//
// prints one line per case, e.g. on Deno 2.9.6:
//
//   plain deno run:                          SIGUSR1 opened 127.0.0.1:9229 (gap present)
//   --inspect=127.255.255.255:0:             nothing on 9229; parked port refuses connections
//   inspector.open(0, "127.255.255.255"):    nothing on 9229; parked port refuses connections
//   parked, then a worker calls close():     SIGUSR1 opened 127.0.0.1:9229 (gap present)
//
// Each case starts a child `deno run`, waits 1.5 s (Deno listens for SIGUSR1 only
// 500 ms after start), sends SIGUSR1, waits, and tries to connect.

const CHILD = `
import inspector from "node:inspector";
import process from "node:process";
const mode = Deno.args[0];
if (mode === "open" || mode === "close") inspector.open(0, "127.255.255.255");
if (mode === "close") {
  const code = 'import inspector from "node:inspector"; inspector.close(); postMessage(0);';
  const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  new Worker(url, { type: "module" }).onmessage = () => {};
}
console.log(String(process.debugPort));
setInterval(() => {}, 1000);
`;

async function connects(hostname: string, port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname, port })).close();
    return true;
  } catch {
    return false;
  }
}

async function run(label: string, flags: string[], mode: string): Promise<void> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, CHILD);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-all", ...flags, file, mode],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const parked = Number((await reader.read()).value?.trim());
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const before = await connects("127.0.0.1", 9229);
  child.kill("SIGUSR1");
  await new Promise((resolve) => setTimeout(resolve, 700));
  const opened = !before && await connects("127.0.0.1", 9229);
  const reachable = await connects("127.255.255.255", parked) ||
    await connects("127.0.0.1", parked);
  child.kill("SIGKILL");
  await child.status;
  reader.releaseLock();
  await Deno.remove(file);
  const verdict = before
    ? "something else listens on 9229 already: cannot tell"
    : opened
    ? "SIGUSR1 opened 127.0.0.1:9229 (gap present)"
    : `nothing on 9229; parked port ${reachable ? "ACCEPTS" : "refuses"} connections`;
  console.log(`${label.padEnd(41)} ${verdict}`);
}

await run("plain deno run:", [], "plain");
await run("--inspect=127.255.255.255:0:", [
  "--inspect=127.255.255.255:0",
  "--inspect-publish-uid=http",
], "plain");
await run('inspector.open(0, "127.255.255.255"):', [], "open");
await run("parked, then a worker calls close():", [], "close");
