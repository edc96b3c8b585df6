/**
 * Request ids as the client wrote them. `JSON.parse` turns a number into a
 * double, so `123456789012345678901234567890` would come back as
 * `1.2345678901234568e+29`, `1.10` as `1.1` and `-0` as `0`. An answer must
 * carry its request's id exactly as sent, so a numeric id is answered with
 * the text of its token in the request.
 *
 * The token is found without a second parse in the common case: outside
 * strings, `"id"` followed by `:` can only be a key (a quote inside a string
 * is escaped), so when the line holds exactly as many such keys as it has
 * requests with an id, the k-th one belongs to the k-th such request. When
 * it does not (an `"id"` key in the params, an escaped key), the line is
 * parsed again with a reviver that reads each id's source text (the JSON.parse
 * source text access of V8, in Deno 2), about seven times the cost of a plain
 * parse, paid only then.
 *
 * @module
 */

const ID_KEY = '"id"';
const BACKSLASH = 92;
const COLON = 58;

/** True for the characters of a JSON number: digits, `-`, `+`, `.`, `e`, `E`. */
function inNumber(code: number): boolean {
  return (code >= 48 && code <= 57) || code === 45 || code === 43 || code === 46 ||
    code === 101 || code === 69;
}

/** The number token at `at` (the text parsed as JSON already), or null if none starts there. */
function numberAt(text: string, at: number): string | null {
  let end = at;
  while (inNumber(text.charCodeAt(end))) end++;
  return end === at ? null : text.slice(at, end);
}

/** True for JSON's blanks: space, tab, line feed, carriage return. */
function isBlank(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

/** Where the value after the `:` of the `"id"` at `at` starts, or -1 if no colon follows. */
function afterColon(text: string, at: number): number {
  let i = at + ID_KEY.length;
  while (isBlank(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== COLON) return -1;
  i++;
  while (isBlank(text.charCodeAt(i))) i++;
  return i;
}

/** What {@link parseWithIds} gives: the parsed line, and the text of each numeric id. */
export interface ParsedLine {
  /** The line, parsed. */
  readonly value: unknown;
  /**
   * The id of `request` (an object of `value`: the request, or an element of
   * the batch) as its JSON text: the token as sent for a number, the string
   * or null in JSON's own form otherwise.
   */
  idText(request: Readonly<Record<string, unknown>>): string;
}

/** The own `id` of an object that is not an array, or undefined. */
function ownId(value: unknown): { id: unknown } | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  return Object.hasOwn(value, "id") ? { id: (value as { id: unknown }).id } : undefined;
}

/**
 * The number tokens after each `"id"` key of `text`, in order (null for an
 * id that is not a number); null unless there are exactly `expected` keys,
 * each sure to be one (not preceded by a backslash).
 */
function scanIdTokens(text: string, expected: number): (string | null)[] | null {
  const tokens: (string | null)[] = [];
  for (let at = text.indexOf(ID_KEY); at >= 0; at = text.indexOf(ID_KEY, at + 1)) {
    const value = afterColon(text, at);
    if (value < 0) continue;
    if (tokens.length === expected) return null;
    if (at > 0 && text.charCodeAt(at - 1) === BACKSLASH) return null;
    tokens.push(numberAt(text, value));
  }
  return tokens.length === expected ? tokens : null;
}

function plainText(id: unknown): string {
  return JSON.stringify(id) ?? "null";
}

/** The elements of a batch that have an id. */
function requestsWithId(batch: readonly unknown[]): object[] {
  return batch.filter((element) => ownId(element) !== undefined) as object[];
}

/** A parsed line whose ids are all strings or null: nothing to look up. */
function plain(value: unknown): ParsedLine {
  return { value, idText: (request) => plainText(request.id) };
}

/** A parsed line and the token text of its numeric ids. */
function withTexts(value: unknown, texts: WeakMap<object, string>): ParsedLine {
  return {
    value,
    idText: (request) =>
      typeof request.id === "number"
        ? texts.get(request) ?? plainText(request.id)
        : plainText(request.id),
  };
}

/** Parses `text` again, reading the source of every numeric `id` on the way. */
function reparse(text: string): ParsedLine {
  const texts = new WeakMap<object, string>();
  const value = JSON.parse(
    text,
    function (this: object, key: string, found: unknown, context?: { source?: string }) {
      if (key === "id" && typeof found === "number" && context?.source !== undefined) {
        texts.set(this, context.source);
      }
      return found;
    } as (key: string, value: unknown) => unknown,
  );
  return withTexts(value, texts);
}

/**
 * Parses one line of JSON-RPC (a request or a batch) and keeps the text of
 * its numeric ids; throws what `JSON.parse` throws on text that is not JSON.
 */
export function parseWithIds(text: string): ParsedLine {
  const value = JSON.parse(text);
  if (!Array.isArray(value)) {
    const id = ownId(value)?.id;
    if (typeof id !== "number") return plain(value);
    const token = scanIdTokens(text, 1)?.[0];
    if (token === null || token === undefined || Number(token) !== id) return reparse(text);
    return { value, idText: (request) => request === value ? token : plainText(request.id) };
  }
  const requests = requestsWithId(value);
  if (!requests.some((request) => typeof (request as { id: unknown }).id === "number")) {
    return plain(value);
  }
  const tokens = scanIdTokens(text, requests.length);
  if (tokens === null) return reparse(text);
  const texts = new WeakMap<object, string>();
  for (let i = 0; i < requests.length; i++) {
    const token = tokens[i];
    const id = (requests[i] as { id: unknown }).id;
    if (typeof id !== "number") continue;
    if (token === null || Number(token) !== id) return reparse(text);
    texts.set(requests[i], token);
  }
  return withTexts(value, texts);
}
