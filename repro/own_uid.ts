// Deno gap: a process cannot learn its own uid without --allow-sys (Deno.uid())
// or --allow-all (Deno refuses to read /proc/self even with --allow-read).
// The host and the client take the owner of a file they create instead.
//
//   deno run --allow-read --allow-write repro/own_uid.ts
//
// Prints, on Deno 2.9.6:
//   Deno.uid(): refused (NotCapable)
//   /proc/self/status: refused (NotCapable)
//   owner of a new temporary file: 0        (the uid; the workaround)
//   gap present: yes

function attempt(label: string, body: () => unknown): boolean {
  try {
    console.log(`${label}: ${body()}`);
    return true;
  } catch (error) {
    console.log(`${label}: refused (${(error as Error).name})`);
    return false;
  }
}

const uid = attempt("Deno.uid()", () => Deno.uid());
const proc = attempt(
  "/proc/self/status",
  () => /^Uid:\s+(\d+)/m.exec(Deno.readTextFileSync("/proc/self/status"))?.[1],
);
attempt("owner of a new temporary file", () => {
  const path = Deno.makeTempFileSync();
  try {
    return Deno.statSync(path).uid;
  } finally {
    Deno.removeSync(path);
  }
});
console.log(`gap present: ${uid || proc ? "no" : "yes"}`);
