// What --check makes of deno check's report: one line per error, with where.
import assert from "node:assert/strict";
import { errorLines } from "../../src/dev/type_check.ts";

Deno.test("check report: type errors, their locations, related information left out", () => {
  const report = `TS2322 [ERROR]: Type 'number' is not assignable to type 'string'.
export function g(): string { return 5; }
                              ~~~~~~
    at file:///tmp/a.ts:4:46

TS2322 [ERROR]: Type 'Timeout' is not assignable to type 'number'.
  set(fn, ms) {
  ~~~
    at file:///tmp/b.ts:18:3

    The expected type comes from property 'set' which is declared here on type 'Timers'
      set(fn: () => void, ms: number): number;
      ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
        at file:///tmp/b.ts:11:3

Found 2 errors.

error: Type checking failed.`;
  assert.deepEqual(errorLines(report), [
    "TS2322 [ERROR]: Type 'number' is not assignable to type 'string'. (at file:///tmp/a.ts:4:46)",
    "TS2322 [ERROR]: Type 'Timeout' is not assignable to type 'number'. (at file:///tmp/b.ts:18:3)",
  ]);
});

Deno.test("check report: a syntax error and a module not found", () => {
  const syntax = `error: SyntaxError: Unexpected token \`<eof>\`. Expected identifier
  |
3 | export function f( {
  |                     ~
    at file:///tmp/s/a.ts:3:21`;
  assert.deepEqual(errorLines(syntax), [
    "SyntaxError: Unexpected token `<eof>`. Expected identifier (at file:///tmp/s/a.ts:3:21)",
  ]);
  const missing = `error: Module not found "file:///tmp/s/missing.ts".
    at file:///tmp/s/a.ts:2:8`;
  assert.deepEqual(errorLines(missing), [
    'Module not found "file:///tmp/s/missing.ts". (at file:///tmp/s/a.ts:2:8)',
  ]);
  assert.deepEqual(errorLines("error: Type checking failed."), []);
});
