/**
 * The shape of one host option in the table of `host_options.ts`: its flag,
 * help, config-file type and reader, and the raw values they read.
 *
 * @module
 */

import type { HostConfig } from "../config/host_config.ts";

/** A value as the command line gives it (integers as their text), or as the file's is turned into. */
export type RawValue = string | boolean | readonly string[] | undefined;
/** Every option's raw value, by long name. */
export type RawValues = Readonly<Record<string, RawValue>>;

/**
 * How an option is written: `value` takes one value, `list` one value each
 * time it is given, `switch` none.
 */
export type OptionKind = "value" | "list" | "switch";

/** One option of the host. */
export interface HostOption<F extends keyof HostConfig = keyof HostConfig> {
  /** The long name: `--NAME` on the command line, `"NAME"` in a config file. */
  readonly name: string;
  /** The one-letter flag, if any. */
  readonly short?: string;
  /** Whether it takes a value, a value per use, or none. */
  readonly kind: OptionKind;
  /** The value's name in `--help` (`N`, `MS`, `PATH`). */
  readonly arg?: string;
  /** Its lines in `--help`: what it does and its default. */
  readonly help: readonly string[];
  /**
   * The JSON type its key takes in a config file (`number` for integers;
   * switches are booleans, lists arrays of strings); `none`: command line only.
   */
  readonly json?: "number" | "string" | "none";
  /** A path is relative to the config file's directory when given there. */
  readonly fileRelative?: (value: string, dir: string) => string;
  /** The config field it sets; none when another option's reader reads it. */
  readonly field?: F;
  /** Reads its raw value (`label` names it in errors; `all` holds every option's). */
  readonly read?: (value: RawValue, label: string, all: RawValues) => HostConfig[F];
  /** Checks the value of an option without a field of its own (another's reader reads it). */
  readonly check?: (value: string, label: string) => void;
}

/** An entry of the table, typed by the config field it sets. */
export function option<F extends keyof HostConfig>(spec: HostOption<F>): HostOption<F> {
  return spec;
}
