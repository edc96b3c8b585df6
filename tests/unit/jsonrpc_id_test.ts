// Request ids come back exactly as sent: a numeric id is answered with its token's text.
import assert from "node:assert/strict";
import fc from "fast-check";
import { answerLine, type MethodCaller, requestIdText } from "../../src/rpc/jsonrpc.ts";
import { RpcCode, RpcError } from "../../src/rpc/errors.ts";

const call: MethodCaller = (method) => {
  if (method === "ok") return "done";
  if (method === "boom") throw new RpcError(RpcCode.INVALID_PARAMS, "bad");
  throw new RpcError(RpcCode.METHOD_NOT_FOUND, "no such method");
};

/** The text after `"id":` in an answer line, up to its closing brace. */
function idTextOf(answer: string): string {
  const match = /"id":(.*)}$/.exec(answer);
  assert.ok(match, `an id in ${answer}`);
  return match[1];
}

const NUMERIC_IDS = [
  "123456789012345678901234567890",
  "-123456789012345678901234567890",
  "9007199254740993",
  "1.10",
  "1.0",
  "1e2",
  "1E+2",
  "2.5e-3",
  "-0",
  "0",
  "-0.0",
  "1e400",
  "12345",
];

Deno.test("ids: a numeric id comes back as its token, in results and errors", async () => {
  for (const id of NUMERIC_IDS) {
    for (const method of ["ok", "boom", "nope"]) {
      const answer = await answerLine(`{"jsonrpc":"2.0","method":"${method}","id":${id}}`, call);
      assert.equal(idTextOf(answer!), id, `${method} with id ${id}`);
      JSON.parse(answer!); // still JSON
    }
    const invalid = await answerLine(`{"jsonrpc":"1.0","method":"ok","id":${id}}`, call);
    assert.equal(idTextOf(invalid!), id, `invalid request with id ${id}`);
  }
});

Deno.test("ids: blanks around the colon, the id first or last, other ids in the params", async () => {
  const lines: [string, string][] = [
    ['{"id" :  1.50 ,"jsonrpc":"2.0","method":"ok"}', "1.50"],
    ['{"jsonrpc":"2.0","method":"ok","id"\t:\t7e1}', "7e1"],
    ['{"jsonrpc":"2.0","method":"ok","params":{"id":1.50},"id":1.5}', "1.5"],
    ['{"jsonrpc":"2.0","method":"ok","params":[{"id":2}],"id":2.0}', "2.0"],
    ['{"jsonrpc":"2.0","method":"ok","params":["\\"id\\":3"],"id":3.00}', "3.00"],
    ['{"jsonrpc":"2.0","method":"ok","params":{"a\\"id":4},"id":4.0}', "4.0"],
    ['{"jsonrpc":"2.0","method":"ok","\\u0069d":5.0}', "5.0"],
    ['{"jsonrpc":"2.0","method":"ok","id":1,"id":6.0}', "6.0"],
    ['{"jsonrpc":"2.0","method":"ok","id":"1.10"}', '"1.10"'],
    ['{"jsonrpc":"2.0","method":"ok","id":null}', "null"],
  ];
  for (const [line, id] of lines) {
    assert.equal(idTextOf((await answerLine(line, call))!), id, line);
  }
});

Deno.test("ids: each element of a batch keeps its own id text", async () => {
  const ids = ["1.0", '"a"', "123456789012345678901234567890", "null", "-0", "2e3"];
  const batch = `[${ids.map((id) => `{"jsonrpc":"2.0","method":"ok","id":${id}}`).join(",")},` +
    `{"jsonrpc":"2.0","method":"ok"},5,` + // a notification and a non-object
    `{"jsonrpc":"2.0","method":"ok","params":{"id":9},"id":9.0}]`;
  const answer = (await answerLine(batch, call))!;
  const texts = [...answer.matchAll(/"id":([^}]*)}/g)].map((match) => match[1]);
  assert.deepEqual(texts, [...ids, "null", "9.0"]);
  JSON.parse(answer);
});

Deno.test("ids: any JSON number token is sent back unchanged (generated)", async () => {
  const digits = fc.stringMatching(/^[0-9]{1,40}$/);
  const token = fc.tuple(
    fc.boolean(),
    digits.map((d) => d.replace(/^0+(?=[0-9])/, "")),
    fc.option(digits),
    fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), digits)),
  ).map(([minus, int, frac, exp]) =>
    `${minus ? "-" : ""}${int}${frac === null ? "" : `.${frac}`}${exp === null ? "" : exp.join("")}`
  );
  await fc.assert(
    fc.asyncProperty(token, fc.boolean(), async (id, nested) => {
      const params = nested ? `,"params":{"id":${id}}` : "";
      const answer = await answerLine(`{"jsonrpc":"2.0","method":"ok"${params},"id":${id}}`, call);
      assert.equal(idTextOf(answer!), id);
    }),
    { numRuns: 500 },
  );
});

Deno.test("ids: requestIdText reads the id of a request as written", () => {
  assert.equal(requestIdText('{"id":1.10,"method":"x"}')?.text, "1.10");
  assert.equal(requestIdText('{"id":"x","method":"x"}')?.text, '"x"');
  assert.equal(requestIdText('{"method":"x"}'), null);
  assert.equal(requestIdText('{"id":true}'), null);
  assert.equal(requestIdText("not json"), null);
});
