/**
 * The `key=value;…` form shared by the exec spec and `--rpc-pool`: items
 * split on `;`, keys ASCII-lower-cased and checked against a list, values
 * trimmed and unquoted, one trailing `;` allowed, a key given twice refused.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { quoteValue } from "../shared/quote.ts";

function unquote(value: string): string {
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
    found.set(key as K, unquote(item.slice(eq + 1).trim()));
  }
  return found;
}
