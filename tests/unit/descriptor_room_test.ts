// The descriptor trial before a worker's start (issue 29, item 2): which
// errors count as running out, and what the trial does when it cannot try.
import assert from "node:assert/strict";
import {
  ensureDescriptors,
  isExhaustion,
  ResourceExhausted,
} from "../../src/spawn/descriptor_room.ts";

Deno.test("descriptor room: EMFILE, ENFILE and ENOMEM count as running out; others do not", () => {
  const coded = (code: string) => Object.assign(new Error("x"), { code });
  assert.ok(isExhaustion(new Error("Too many open files (os error 24): open '/x'")));
  assert.ok(isExhaustion(new Error("Too many open files in system (os error 23)")));
  assert.ok(isExhaustion(new Error("Cannot allocate memory (os error 12)")));
  assert.ok(isExhaustion(coded("EMFILE")));
  assert.ok(isExhaustion(coded("ENFILE")));
  assert.ok(isExhaustion(coded("ENOMEM")));
  assert.ok(!isExhaustion(new Error("No such file or directory (os error 2)")));
  assert.ok(!isExhaustion(new Error("os error 240")));
  assert.ok(!isExhaustion(coded("ENOENT")));
  assert.ok(!isExhaustion(null));
  assert.ok(!isExhaustion("Too many cooks"));
});

Deno.test("descriptor room: a readable file passes; one that cannot be opened skips the trial", () => {
  ensureDescriptors(new URL(import.meta.url));
  ensureDescriptors("/nonexistent/evrexec/descriptor-room");
  ensureDescriptors(new URL("https://example.com/main.ts"));
});

Deno.test("descriptor room: out of descriptors, the trial throws one line and closes what it opened", async () => {
  // A child under a soft limit of 24 opens files until two are left, then tries.
  const code = `
    import { ensureDescriptors } from ${
    JSON.stringify(new URL("../../src/spawn/descriptor_room.ts", import.meta.url).href)
  };
    const held = [];
    try { for (;;) held.push(Deno.openSync("/dev/null")); } catch { /* at the limit */ }
    held.pop().close(); held.pop().close();
    try { ensureDescriptors(${
    JSON.stringify(new URL(import.meta.url).pathname)
  }); console.log("passed"); }
    catch (error) { console.log(error.name + ": " + error.message); }
    held.pop().close();
    ensureDescriptors(${JSON.stringify(new URL(import.meta.url).pathname)}, 3);
    console.log("three fit");
  `;
  const out = await new Deno.Command("prlimit", {
    args: ["--nofile=24:24", Deno.execPath(), "eval", "--quiet", code],
    stdout: "piped",
    stderr: "piped",
  }).output().catch(() => null);
  if (out === null) return console.log("prlimit is not installed; skipped");
  const text = new TextDecoder().decode(out.stdout);
  assert.match(
    text,
    /^ResourceExhausted: only 2 of the 8 file descriptors a worker's start needs are free: Too many open files \(os error 24\)/,
    new TextDecoder().decode(out.stderr),
  );
  assert.match(text, /three fit/, "the trial closed the descriptors it had opened");
  assert.ok(new ResourceExhausted("x") instanceof Error);
});
