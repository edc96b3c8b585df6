// quoteValue and clipText: short values as they are, long ones cut to 100 characters with a note.
import assert from "node:assert/strict";
import { clipText, MAX_QUOTED_CHARS, quoteValue } from "../../src/shared/quote.ts";

Deno.test("quoteValue: short strings in JSON quotes, long ones cut with how many more", () => {
  assert.equal(quoteValue("debgu"), '"debgu"');
  assert.equal(quoteValue("a\nb\u0000"), '"a\\nb\\u0000"');
  assert.equal(quoteValue("x".repeat(100)), `"${"x".repeat(100)}"`);
  assert.equal(quoteValue("x".repeat(101)), `"${"x".repeat(100)}"… (1 more characters)`);
  const huge = quoteValue("x".repeat(50_000_000));
  assert.equal(huge, `"${"x".repeat(MAX_QUOTED_CHARS)}"… (49999900 more characters)`);
  // A cut never splits a surrogate pair.
  assert.equal(quoteValue("a" + "😀".repeat(60)), `"a${"😀".repeat(49)}"… (22 more characters)`);
});

Deno.test("quoteValue: other values in their JSON form, and never a throw", () => {
  assert.equal(quoteValue(7), "7");
  assert.equal(quoteValue(null), "null");
  assert.equal(quoteValue(["a", 1]), '["a",1]');
  assert.equal(quoteValue(10n), "10");
  assert.equal(quoteValue(undefined), "undefined");
  assert.equal(quoteValue(Symbol("s")), "Symbol(s)");
  assert.equal(quoteValue({ toJSON: () => "x".repeat(500) }).length < 140, true);
  const hostile = new Proxy({}, {
    get() {
      throw new Error("trap");
    },
  });
  assert.equal(quoteValue(hostile), "a value of type object");
  assert.equal(quoteValue(new Array(100_000).fill(1)).length < 140, true);
});

Deno.test("clipText: as it is when short, else cut with a note", () => {
  assert.equal(clipText("short"), "short");
  assert.equal(clipText("y".repeat(150)), `${"y".repeat(100)}… (50 more characters)`);
  assert.equal(clipText("y".repeat(30), 10), `${"y".repeat(10)}… (20 more characters)`);
});
