/**
 * `--log-file PATH` with `--log-max-size SIZE` and `--log-keep N`: read
 * together into the log file's settings; sizes take K, M and G (powers of 1024).
 *
 * @module
 */

import type { LogFileOptions } from "../base/log_file.ts";
import { ConfigError } from "../base/errors.ts";
import { DEFAULTS } from "../config/defaults.ts";
import { intOption, type RawValues } from "./option_values.ts";
import { quoteValue } from "../shared/quote.ts";

/** The smallest size a log file may rotate at (0 turns rotation off). */
const MIN_LOG_BYTES = 1024;
/** The largest: 1 TiB. */
const MAX_LOG_BYTES = 1024 ** 4;
const UNITS: Readonly<Record<string, number>> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `bytes` as `--log-max-size` takes it: `10M`, `512K`, or bytes. */
export function sizeText(bytes: number): string {
  for (const [unit, size] of [["G", 1024 ** 3], ["M", 1024 ** 2], ["K", 1024]] as const) {
    if (bytes > 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

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

/**
 * Reads `--log-file` (`path`, named `label` in errors) with the
 * `--log-max-size` and `--log-keep` of `all`; undefined when no file is given.
 */
export function logFileOption(
  path: string | undefined,
  label: string,
  all: RawValues,
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
    maxBytes: typeof size === "string"
      ? readSize("--log-max-size", size)
      : DEFAULTS.logFileMaxBytes,
    keep: intOption("--log-keep", typeof keep === "string" ? keep : undefined, 0, 1000) ??
      DEFAULTS.logFileKeep,
  };
}
