/**
 * Command-line parsing with `parseArgs` from `node:util`, every mistake one
 * {@link ConfigError}: an unknown option, an option without its value (or
 * whose value looks like another option, as strict parsing has it), a switch
 * given a value, a positional argument where none is taken. The arguments
 * are read once without strictness, as tokens, and judged here against the
 * options; nothing depends on the wording of `parseArgs`' own errors.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError } from "./errors.ts";
import { clipText, quoteValue } from "../shared/quote.ts";

/** What `parseArgs` returns for `T`. */
export type ParsedCommandLine<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/** A value that strict parsing takes for another option: `-x`, `--name` (not `-` alone). */
function optionLike(value: string): boolean {
  return value.length > 1 && value.startsWith("-");
}

/**
 * Parses `config.args` strictly (`config.strict` is true or left out); throws a {@link ConfigError} ending in
 * `(see --help)` for the first argument that is wrong.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./command_line.ts";
 * const { values } = parseCommandLine({
 *   args: ["--socket", "/run/e.sock"],
 *   options: { socket: { type: "string" } },
 * });
 * console.log(values.socket); // /run/e.sock
 * ```
 */
export function parseCommandLine<T extends ParseArgsConfig & { readonly strict?: true }>(
  config: T,
): ParsedCommandLine<T> {
  const options = config.options ?? {};
  const loose: ParseArgsConfig = {
    args: config.args,
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  };
  const { tokens } = parseArgs(loose);
  for (const token of tokens ?? []) {
    if (token.kind === "positional") {
      if (config.allowPositionals) continue;
      throw new ConfigError(`unexpected argument ${quoteValue(token.value)} (see --help)`);
    }
    if (token.kind !== "option") continue;
    const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (option === undefined) {
      throw new ConfigError(`unknown option ${clipText(token.rawName)} (see --help)`);
    }
    const flag = `--${token.name}`;
    if (option.type === "boolean") {
      if (token.value !== undefined) throw new ConfigError(`${flag} takes no value (see --help)`);
    } else if (token.value === undefined || (!token.inlineValue && optionLike(token.value))) {
      throw new ConfigError(`${flag} needs a value (see --help)`);
    }
  }
  try {
    return parseArgs(config);
  } catch (error) {
    // Not reached for the mistakes judged above; one line all the same.
    const first = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    throw new ConfigError(`${clipText(first, 300)} (see --help)`);
  }
}
