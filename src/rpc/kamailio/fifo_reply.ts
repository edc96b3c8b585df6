/**
 * The text jsonrpcs writes into a reply FIFO: the JSON-RPC answer printed
 * the way Kamailio's srjson (an old cJSON) prints with formatting on, which
 * kamctl's line-based filter expects. No newline at the end: the client
 * reads until the host closes the FIFO.
 *
 * ```
 * {
 * →"jsonrpc":→"2.0",
 * →"result":→[{
 * →→→"IDX":→0,
 * →→}, "text", 7],
 * →"id":→4242
 * }
 * ```
 *
 * (→ is a tab.) Objects put each member on its own line, one tab deeper,
 * with `":\t"` between name and value; arrays stay on one line, items
 * joined by `", "`; an empty object is `{` newline, tabs, `}`; an empty
 * array `[]`. Numbers print as C's `%d` when they are within 2^-52 of a 32-bit integer, `%.0f`
 * when integral, `%e` below 1e-6 or above 1e9, else `%f`. Strings escape `"`,
 * `\`, `\b`, `\f`, `\n`, `\r`, `\t` and other control bytes (`\u00XX`); all
 * other characters, `/` and non-ASCII included, are written as they are.
 *
 * @module
 */

/** Bounds on one reply text. */
export interface FifoReplyLimits {
  /** Objects and arrays nest at most this deep (default 64; a cycle hits it). */
  readonly maxDepth: number;
  /** The longest text, in UTF-16 code units (default 16 Mi). */
  readonly maxChars: number;
}

/** The default {@link FifoReplyLimits}. */
export const DEFAULT_FIFO_REPLY_LIMITS: FifoReplyLimits = { maxDepth: 64, maxChars: 16 << 20 };

/** The reply text, or why it cannot be written (answer an error instead). */
export type FifoReplyResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly message: string };

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

// deno-lint-ignore no-control-regex
const NEEDS_ESCAPE = /["\\\x00-\x1f]/g;

/** A JSON string as srjson writes it. */
export function kamailioString(value: string): string {
  return `"${
    value.replace(
      NEEDS_ESCAPE,
      (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    )
  }"`;
}

/** C's `%e`: six decimals and a two-digit (at least) exponent. */
function cExponent(value: number): string {
  const [mantissa, exponent] = value.toExponential(6).split("e");
  const sign = exponent.startsWith("-") ? "-" : "+";
  const digits = exponent.replace(/^[+-]/, "").padStart(2, "0");
  return `${mantissa}e${sign}${digits}`;
}

/** A number as srjson writes it (NaN and infinities, which JSON lacks, as `null`). */
export function kamailioNumber(value: number): string {
  if (!Number.isFinite(value)) return "null";
  const truncated = Math.trunc(value);
  // srjson: "%d" when the value is within DBL_EPSILON of a 32-bit int (so 1e-20 prints 0)
  if (
    Math.abs(truncated - value) <= Number.EPSILON && value >= -0x80000000 && value <= 0x7fffffff
  ) {
    return String(truncated === 0 ? 0 : truncated);
  }
  if (Number.isInteger(value)) return BigInt(value).toString();
  const size = Math.abs(value);
  if (size < 1e-6 || size > 1e9) return cExponent(value);
  return value.toFixed(6);
}

class TooBig {
  constructor(readonly message: string) {}
}

/** Prints values into parts, counting their length. */
class Printer {
  readonly parts: string[] = [];
  #chars = 0;

  constructor(private readonly limits: FifoReplyLimits) {}

  add(text: string): void {
    this.#chars += text.length;
    if (this.#chars > this.limits.maxChars) {
      throw new TooBig(`the answer is over ${this.limits.maxChars} characters`);
    }
    this.parts.push(text);
  }

  /** Prints `value` at `depth` (0 for the answer itself). */
  value(value: unknown, depth: number): void {
    switch (typeof value) {
      case "string":
        return this.add(kamailioString(value));
      case "number":
        return this.add(kamailioNumber(value));
      case "boolean":
        return this.add(value ? "true" : "false");
      case "bigint":
        return this.add(value.toString());
      case "object":
        break;
      default:
        return this.add("null");
    }
    if (value === null) return this.add("null");
    if (depth >= this.limits.maxDepth) {
      throw new TooBig(`the answer nests deeper than ${this.limits.maxDepth} levels`);
    }
    if (Array.isArray(value)) return this.#array(value, depth);
    this.#object(Object.entries(value as Record<string, unknown>), depth);
  }

  #array(items: readonly unknown[], depth: number): void {
    this.add("[");
    for (let i = 0; i < items.length; i++) {
      if (i > 0) this.add(", ");
      this.value(items[i], depth + 1);
    }
    this.add("]");
  }

  #object(entries: [string, unknown][], depth: number): void {
    const members = entries.filter(([, v]) =>
      v !== undefined && typeof v !== "function" && typeof v !== "symbol"
    );
    const inner = "\t".repeat(depth + 1);
    this.add("{\n");
    members.forEach(([name, member], i) => {
      this.add(`${inner}${kamailioString(name)}:\t`);
      this.value(member, depth + 1);
      this.add(i < members.length - 1 ? ",\n" : "\n");
    });
    this.add(`${"\t".repeat(depth)}}`);
  }
}

/** Prints any JSON-like value as srjson does. Never throws. */
export function formatKamailioJson(
  value: unknown,
  limits: FifoReplyLimits = DEFAULT_FIFO_REPLY_LIMITS,
): FifoReplyResult {
  const printer = new Printer(limits);
  try {
    printer.value(value, 0);
  } catch (e) {
    const message = e instanceof TooBig ? e.message : `cannot print the answer: ${String(e)}`;
    return { ok: false, message };
  }
  return { ok: true, text: printer.parts.join("") };
}

/**
 * The reply text for a JSON-RPC answer object: its members in Kamailio's
 * order (`jsonrpc`, then `result` or `error`, then `id`, then any other).
 */
export function formatFifoReply(
  answer: Readonly<Record<string, unknown>>,
  limits: FifoReplyLimits = DEFAULT_FIFO_REPLY_LIMITS,
): FifoReplyResult {
  const order = ["jsonrpc", "result", "error", "id"];
  const ordered: Record<string, unknown> = {};
  const put = (name: string) =>
    Object.defineProperty(ordered, name, {
      value: answer[name],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  for (const name of order) if (Object.hasOwn(answer, name)) put(name);
  for (const name of Object.keys(answer)) if (!order.includes(name)) put(name);
  return formatKamailioJson(ordered, limits);
}
