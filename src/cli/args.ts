/**
 * The host's arguments, parsed with the table of options and validated into
 * a {@link HostConfig}, with the `--config` file's values under them.
 *
 * @module
 */

import type { ParseArgsOptionsConfig } from "node:util";
import type { ConfigSource, HostConfig } from "../config/host_config.ts";
import { HOST_OPTIONS, type RawValues } from "./host_options.ts";
import { loadConfig, type LoadedConfig, needsRestart } from "./load_config.ts";
import { parseCommandLine } from "../base/command_line.ts";

/** What the command line asks for. */
export type CliRequest =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | {
    readonly kind: "run";
    readonly config: HostConfig;
    /** Reads the config file (and the same flags) again, for a reload. */
    readonly reread: ConfigSource;
  };

/** `parseArgs`' options, from the table. */
function parseOptions(): ParseArgsOptionsConfig {
  const options: ParseArgsOptionsConfig = {};
  for (const option of HOST_OPTIONS) {
    options[option.name] = {
      type: option.kind === "switch" ? "boolean" : "string",
      ...(option.short ? { short: option.short } : {}),
      ...(option.kind === "list" ? { multiple: true } : {}),
    };
  }
  return options;
}

/** Parses the host's arguments; throws a {@link ConfigError} on any mistake. */
export function parseCli(args: readonly string[]): CliRequest {
  const { values, positionals } = parseCommandLine({
    args: [...args],
    allowPositionals: true,
    options: parseOptions(),
  });
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  const line = { values: values as RawValues, positionals };
  const loaded: LoadedConfig = loadConfig(line);
  return {
    kind: "run",
    config: loaded.config,
    reread() {
      const next = loadConfig(line);
      return { config: next.config, needsRestart: needsRestart(loaded.raw, next.raw) };
    },
  };
}
