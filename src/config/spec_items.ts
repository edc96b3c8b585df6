/**
 * A spec's items, shared by the exec spec and `--rpc-pool`: values by key.
 * The `key=value;…` text gives them (items split on `;`, keys
 * ASCII-lower-cased and checked against a list, values trimmed and unquoted,
 * one trailing `;` allowed, a key given twice refused), and so does a config
 * file's task object, key by key; one reader then reads the items, whatever
 * gave them. An error about one key's value says which key it is about.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { quoteValue } from "../shared/quote.ts";

/** A spec's values by key (keys lower-cased), whichever form gave them. */
export type SpecItems<K extends string = string> = ReadonlyMap<K, string>;

/**
 * What a key's value is: a whole number (`integer`; a config file's object
 * gives it as a JSON number) or `text` (a JSON string there).
 */
export type KeyKind = "integer" | "text";

/** A mistake in the value of one key of a spec (`key`), or in two keys together (the first). */
export class SpecKeyError extends ConfigError {
  /** Creates the error about `key`, with its one-line message. */
  constructor(readonly key: string, message: string) {
    super(message);
    this.name = "SpecKeyError";
  }
}

/**
 * Runs `read`; a {@link ConfigError} it throws becomes a {@link SpecKeyError}
 * about `key` (one that is about a key already keeps its key).
 */
export function atKey<T>(key: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError && !(error instanceof SpecKeyError)) {
      throw new SpecKeyError(key, error.message);
    }
    throw error;
  }
}

/** A value as the spec rules take it: blanks around it trimmed, double quotes around it removed. */
export function specValue(text: string): string {
  const value = text.trim();
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"')
    ? value.slice(1, -1)
    : value;
}

/**
 * Splits `spec` into its `key=value` items, keys lower-cased; throws a
 * {@link ConfigError} for an empty item, an item without `=`, a key not in
 * `keys` (listing them) or a key given twice.
 */
export function specItems<K extends string>(spec: string, keys: readonly K[]): Map<K, string> {
  const parts = spec.split(";");
  if (parts.length > 1 && parts[parts.length - 1].trim() === "") parts.pop();
  const found = new Map<K, string>();
  for (const part of parts) {
    const item = part.trim();
    if (item === "") throw new ConfigError("empty item between ';'");
    const eq = item.indexOf("=");
    if (eq < 0) throw new ConfigError(`item ${quoteValue(item)} is not key=value`);
    const key = item.slice(0, eq).trim().replace(/[A-Z]/g, (c) => c.toLowerCase()); // ASCII only, as Kamailio
    if (!(keys as readonly string[]).includes(key)) {
      throw new ConfigError(`unknown key ${quoteValue(key)} (expected ${keys.join(", ")})`);
    }
    if (found.has(key as K)) throw new ConfigError(`key "${key}" given twice`);
    const raw = item.slice(eq + 1);
    blankBeforeKey(key, raw, keys);
    found.set(key as K, specValue(raw));
  }
  return found;
}

/**
 * Throws a hint when an unquoted value holds a blank and then one of `keys`
 * with `=` (`name=ticker workers=2`): a `;` was meant, and the value as it
 * stands would be a name no script exports.
 */
function blankBeforeKey(key: string, raw: string, keys: readonly string[]): void {
  const value = raw.trim();
  if (value.startsWith('"')) return;
  const match = value.match(/\s+([A-Za-z_][A-Za-z0-9_-]*)\s*=/);
  if (match === null || !keys.includes(match[1].toLowerCase())) return;
  const meant = `${key}=${value.replace(/\s+([A-Za-z_][A-Za-z0-9_-]*\s*=)/g, ";$1")}`;
  throw new ConfigError(
    `the value of "${key}", ${quoteValue(value)}, holds a blank before ${match[1]}=: ` +
      `items are separated by ';' (did you mean ${quoteValue(meant)}?)`,
  );
}
