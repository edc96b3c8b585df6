/**
 * The `--cluster` URL (`postgres://user:password@host:port/database?…`):
 * checked at start, and shown without its password.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";

/** The longest URL accepted (a URL is short; a longer value is a mistake). */
const MAX_URL_LENGTH = 2048;

/**
 * Checks `text` as a PostgreSQL URL and returns it unchanged; `label` names
 * the option in errors.
 *
 * @throws {ConfigError} when it is not a `postgres://` or `postgresql://` URL with a host.
 */
export function readClusterUrl(text: string, label = "cluster"): string {
  const shown = JSON.stringify(redactUrl(text).slice(0, 120));
  if (text.length > MAX_URL_LENGTH) {
    throw new ConfigError(`${label} must be a URL of at most ${MAX_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(
      `${label} must be a URL such as postgres://user@db.example:5432/app, got ${shown}`,
    );
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ConfigError(`${label} must be a postgres:// or postgresql:// URL, got ${shown}`);
  }
  if (url.hostname === "" && !url.searchParams.has("host")) {
    throw new ConfigError(`${label} URL names no host, got ${shown}`);
  }
  return text;
}

/** `text` with the password of its user part replaced by `***`, for logs and views. */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, "$1:***@");
}
