/**
 * `--log-file PATH` with `--log-max-size SIZE` and `--log-keep N`: read
 * together into the log file's settings; sizes take K, M and G (powers of 1024).
 *
 * @module
 */

import type { LogFileOptions } from "../base/log_file.ts";
import { ConfigError } from "../base/errors.ts";
import { intOption } from "./option_values.ts";
import { quoteValue } from "../shared/quote.ts";

/** The default `--log-max-size`: 10 MiB. */
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
/** The default `--log-keep`. */
export const DEFAULT_LOG_KEEP = 5;
/** The smallest size a log file may rotate at (0 turns rotation off). */
const MIN_LOG_BYTES = 1024;
/** The largest: 1 TiB. */
const MAX_LOG_BYTES = 1024 ** 4;
const UNITS: Readonly<Record<string, number>> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Reads a size such as `10M`, `512K` or `1048576`; throws a
 * {@link ConfigError} naming `label` otherwise.
 */
export function readSize(label: string, text: string): number {
  const match = /^([0-9]+)([kmg]?)(i?b)?$/i.exec(text.trim());
  const bytes = match ? Number(match[1]) * UNITS[match[2].toLowerCase()] : NaN;
  if (!(bytes === 0 || (bytes >= MIN_LOG_BYTES && bytes <= MAX_LOG_BYTES))) {
    throw new ConfigError(
      `${label} must be 0 or a size from 1K to 1024G (bytes, or with K, M or G), ` +
        `got ${quoteValue(text)}`,
    );
  }
  return bytes;
}

type Raw = string | boolean | readonly string[] | undefined;

/**
 * Reads `--log-file` (`path`, named `label` in errors) with the
 * `--log-max-size` and `--log-keep` of `all`; undefined when no file is given.
 */
export function logFileOption(
  path: string | undefined,
  label: string,
  all: Readonly<Record<string, Raw>>,
): LogFileOptions | undefined {
  const size = all["log-max-size"], keep = all["log-keep"];
  if (path === undefined) {
    if (size !== undefined) throw new ConfigError("--log-max-size needs --log-file PATH");
    if (keep !== undefined) throw new ConfigError("--log-keep needs --log-file PATH");
    return undefined;
  }
  if (path.trim() === "") throw new ConfigError(`${label} must not be empty`);
  return {
    path,
    maxBytes: typeof size === "string" ? readSize("--log-max-size", size) : DEFAULT_LOG_MAX_BYTES,
    keep: intOption(
      "--log-keep",
      typeof keep === "string" ? keep : undefined,
      DEFAULT_LOG_KEEP,
      0,
      1000,
    ),
  };
}
