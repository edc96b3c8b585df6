// errorInfo and messageOf never throw, whatever was thrown, and bound every text they give.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  errorInfo,
  errorLine,
  errorStack,
  MAX_MESSAGE_CHARS,
  MAX_NAME_CHARS,
  MAX_STACK_CHARS,
  messageOf,
} from "../../src/shared/error_text.ts";

const trap = (name: string) => () => {
  throw new Error(`${name} trap`);
};

/** A Proxy that throws on every trap there is. */
function hostileProxy(target: object = {}): object {
  const handler: ProxyHandler<object> = {};
  for (
    const name of [
      "get",
      "set",
      "has",
      "ownKeys",
      "getOwnPropertyDescriptor",
      "getPrototypeOf",
      "setPrototypeOf",
      "defineProperty",
      "deleteProperty",
      "isExtensible",
      "preventExtensions",
      "apply",
      "construct",
    ] as const
  ) {
    (handler as Record<string, unknown>)[name] = trap(name);
  }
  return new Proxy(target, handler);
}

function withGetters(error: Error, keys: string[]): Error {
  for (const key of keys) Object.defineProperty(error, key, { get: trap(key) });
  return error;
}

const HOSTILE: [string, unknown][] = [
  ["toString throws", { toString: trap("toString") }],
  ["valueOf and toString throw", { toString: trap("toString"), valueOf: trap("valueOf") }],
  ["Symbol.toPrimitive throws", { [Symbol.toPrimitive]: trap("toPrimitive") }],
  ["proxy", hostileProxy()],
  ["proxy of a function", hostileProxy(() => {})],
  ["proxy of an error", hostileProxy(new Error("inside"))],
  ["symbol", Symbol("s")],
  ["null", null],
  ["undefined", undefined],
  ["bigint", 10n],
  ["null prototype", Object.create(null)],
  ["error with throwing getters", withGetters(new Error("x"), ["message", "name", "stack"])],
  ["error with a non-string message", Object.assign(new Error("x"), { message: 42 })],
  [
    "error with an object message",
    Object.assign(new Error("x"), { message: { toString: trap("m") } }),
  ],
  [
    "revoked proxy",
    (() => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    })(),
  ],
];

Deno.test("errorInfo: hostile thrown values give strings, never a throw", () => {
  for (const [what, value] of HOSTILE) {
    const info = errorInfo(value);
    assert.equal(typeof info.name, "string", what);
    assert.equal(typeof info.message, "string", what);
    assert.ok(info.stack === undefined || typeof info.stack === "string", what);
    assert.equal(typeof messageOf(value), "string", what);
    assert.equal(typeof errorLine(info), "string", what);
    assert.equal(typeof errorStack(info), "string", what);
    JSON.stringify(info); // crosses the worker boundary as JSON
  }
  assert.equal(messageOf(Symbol("s")), "Symbol(s)");
  assert.equal(messageOf(null), "null");
  assert.equal(messageOf(hostileProxy()), "a thrown object that cannot be shown as text");
  assert.equal(messageOf({ toString: trap("t") }), "a thrown object that cannot be shown as text");
  assert.equal(messageOf({ message: "plain" }), "plain");
  assert.equal(errorInfo({ name: "Custom", message: "m" }).name, "Custom");
  assert.equal(errorInfo(new TypeError("t")).name, "TypeError");
  assert.match(errorInfo(new TypeError("t")).stack!, /TypeError: t/);
});

Deno.test("errorInfo: huge messages, names and stacks are cut with a note", () => {
  const error = new Error("m".repeat(1_000_000));
  error.name = "N".repeat(10_000);
  error.stack = "s".repeat(1_000_000);
  const info = errorInfo(error);
  assert.equal(
    info.message,
    `${"m".repeat(MAX_MESSAGE_CHARS)}… (${1_000_000 - MAX_MESSAGE_CHARS} more characters)`,
  );
  assert.ok(info.name.length < MAX_NAME_CHARS + 40);
  assert.ok(info.stack!.length < MAX_STACK_CHARS + 40);
  assert.ok(messageOf("x".repeat(50_000_000)).length < MAX_MESSAGE_CHARS + 40);
  // A cut never leaves half a surrogate pair.
  const emoji = messageOf("😀".repeat(MAX_MESSAGE_CHARS));
  assert.doesNotMatch(emoji, /[\ud800-\udbff](?![\udc00-\udfff])/);
});

Deno.test("errorInfo: anything fast-check can build gives strings", () => {
  fc.assert(
    fc.property(
      fc.anything({ withBigInt: true, withMap: true, withSet: true, withNullPrototype: true }),
      (value) => {
        const info = errorInfo(value);
        assert.equal(typeof info.message, "string");
        assert.ok(info.message.length <= MAX_MESSAGE_CHARS + 40);
      },
    ),
    { numRuns: 500 },
  );
});
