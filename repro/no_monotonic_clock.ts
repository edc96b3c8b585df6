// Deno gap: no call reads CLOCK_MONOTONIC, which systemd's MONOTONIC_USEC
// wants. performance.now() runs on it but counts from the process's start;
// /proc/uptime needs --allow-all even with --allow-read; node:inspector
// (V8's profiler clock) needs --allow-sys=inspector; Deno.osUptime()
// (--allow-sys=osUptime) gives whole seconds of CLOCK_BOOTTIME, rounded up.
// The notify client (src/base/monotonic_clock.ts) carries osUptime() forward
// with performance.now(), refined where the second changes: an upper bound.
//
//   deno run --allow-read --allow-sys=osUptime repro/no_monotonic_clock.ts
//
// Prints, on Deno 2.9.6 (numbers vary):
//   performance.now(): 21.3 (ms since the process started)
//   /proc/uptime: refused (NotCapable)
//   node:inspector Session: refused (NotCapable)
//   Deno.osUptime(): 6268 (whole seconds)
//   gap present: yes

import { Session } from "node:inspector";

function attempt(label: string, body: () => unknown): boolean {
  try {
    console.log(`${label}: ${body()}`);
    return true;
  } catch (error) {
    console.log(`${label}: refused (${(error as Error).name})`);
    return false;
  }
}

attempt(
  "performance.now()",
  () => `${performance.now().toFixed(1)} (ms since the process started)`,
);
const proc = attempt("/proc/uptime", () => Deno.readTextFileSync("/proc/uptime").trim());
const inspector = attempt("node:inspector Session", () => {
  new Session().connect();
  return "connected";
});
attempt("Deno.osUptime()", () => `${Deno.osUptime()} (whole seconds)`);
console.log(`gap present: ${!proc && !inspector ? "yes" : "no"}`);
