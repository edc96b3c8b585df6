// Control characters made visible: no output of escapeControls holds one (a line feed and a tab
// only with keepLines), and escapeJsonControls keeps a JSON text's value while leaving none of
// DEL, C1, U+2028/2029 or the bidi controls raw.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CONTROL_CHAR,
  escapeControls,
  escapeJsonControls,
} from "../../src/shared/control_chars.ts";

const RAW_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

Deno.test("control chars: escapeControls leaves none, and keepLines only line feeds and tabs", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (text) => {
      assert.doesNotMatch(escapeControls(text), CONTROL_CHAR);
      const kept = escapeControls(text, { keepLines: true });
      assert.doesNotMatch(kept.replace(/[\n\t]/g, ""), CONTROL_CHAR);
      assert.equal(kept.split("\n").length, text.split("\n").length);
    }),
    { numRuns: 1000 },
  );
  assert.equal(
    escapeControls("a\r\n\t\x00\x1b\x7f\u009b\u2028\u202e"),
    "a\\r\\n\\t\\x00\\x1b\\x7f\\x9b\\u2028\\u202e",
  );
  assert.equal(escapeControls("plain ünïcödé \\n"), "plain ünïcödé \\n", "the rest is kept");
});

Deno.test("control chars: escapeJsonControls keeps the value of any JSON text", () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.string({ unit: "binary" }), (value, text) => {
      for (const json of [JSON.stringify(value), JSON.stringify(text)]) {
        const escaped = escapeJsonControls(json);
        assert.doesNotMatch(escaped, RAW_JSON);
        assert.deepEqual(JSON.parse(escaped), JSON.parse(json));
      }
    }),
    { numRuns: 1000 },
  );
});
