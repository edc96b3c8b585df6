/**
 * The configuration from the command line and an optional `--config` file:
 * flags override the file's keys, `--exec` tasks follow the file's tasks,
 * every value is checked by its option's reader, and an error about a value
 * from the file names the file, line and column. What is read is handed to
 * `resolveHostOptions`, which applies the defaults.
 *
 * @module
 */

import {
  type HostConfig,
  type HostOptions,
  RELOADED_FIELDS,
  resolveHostOptions,
} from "../config/host_config.ts";
import { ConfigError } from "../base/errors.ts";
import { checkUniqueNames, type GivenTask, parseExecSpec } from "../config/exec_spec.ts";
import { type ConfigFile, readConfigFile } from "./config_file.ts";
import { HOST_OPTIONS, type OptionField, type RawValue, type RawValues } from "./host_options.ts";
import { resolveScript } from "./script_url.ts";
import { clipText, quoteValue } from "../shared/quote.ts";

/** The command line as `parseArgs` gives it. */
export interface CommandLine {
  /** Every option given, by long name. */
  readonly values: RawValues;
  /** The positional arguments (SCRIPT). */
  readonly positionals: readonly string[];
}

/** A configuration, and the raw values it was read from (to tell what a reload changed). */
export interface LoadedConfig {
  /** The configuration, its defaults applied. */
  readonly config: HostConfig;
  /** Each option's raw value (flag or file), and `script`. */
  readonly raw: RawValues;
}

/** Options that only the command line takes, or that are read on their own. */
const NOT_MERGED = new Set(["config", "exec", "help", "version"]);

/** The option fields as they are read, before the defaults. */
type ReadFields = { -readonly [K in OptionField]?: HostOptions[K] };

/** Sets one field of `fields` (typed by its option, so that a field gets its own value). */
function setField<F extends OptionField>(fields: ReadFields, field: F, value: HostOptions[F]) {
  fields[field] = value;
}

/** Runs `read`; an error about a value from the file is prefixed with where it stands. */
function located<T>(where: string | undefined, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (where === undefined || !(error instanceof ConfigError)) throw error;
    throw new ConfigError(`${where}: ${error.message}`);
  }
}

/** Reads the configuration; throws a {@link ConfigError} on any mistake. */
export function loadConfig(line: CommandLine): LoadedConfig {
  const path = line.values.config;
  const file: ConfigFile | null = typeof path === "string" ? readConfigFile(path) : null;
  const raw: Record<string, RawValue> = {};
  const where = new Map<string, string>();
  for (const option of HOST_OPTIONS) {
    if (NOT_MERGED.has(option.name)) continue;
    const fromFile = file?.values.get(option.name);
    raw[option.name] = line.values[option.name] ?? fromFile?.raw;
    if (line.values[option.name] === undefined && fromFile) where.set(option.name, fromFile.where);
  }
  const label = (name: string) => where.has(name) ? name : `--${name}`;
  for (const option of HOST_OPTIONS) {
    const value = raw[option.name];
    if (option.check && typeof value === "string") {
      located(where.get(option.name), () => option.check!(value, label(option.name)));
    }
  }
  const fields: ReadFields = {};
  for (const option of HOST_OPTIONS) {
    if (option.field === undefined || option.read === undefined) continue;
    const read = option.read;
    const value = located(
      where.get(option.name),
      () => read(raw[option.name], label(option.name), raw),
    );
    setField(fields, option.field, value);
  }
  const script = readScript(line.positionals, file);
  raw.script = script.raw;
  const scriptUrl = located(script.where, () => resolveScript(script.raw));
  const tasks = readTasks(line.values.exec as readonly string[] | undefined, file);
  raw.exec = tasks.map((task) => task.spec);
  const options: HostOptions = {
    ...fields,
    scriptUrl,
    tasks,
    ...(file ? { configFile: file.path } : {}),
  };
  return { config: resolveHostOptions(options), raw };
}

function readScript(
  positionals: readonly string[],
  file: ConfigFile | null,
): { raw: string; where?: string } {
  if (positionals.length > 1) {
    throw new ConfigError(
      `expected one SCRIPT, got ${positionals.length}: ${clipText(positionals.join(" "))}`,
    );
  }
  if (positionals.length === 1) return { raw: positionals[0] };
  if (file?.script) return file.script;
  throw new ConfigError(
    file
      ? `missing SCRIPT: give it after the options or as "script" in ${file.path}`
      : "missing SCRIPT (see --help)",
  );
}

/** The file's tasks, then those of `--exec`; two tasks may not share a name. */
function readTasks(exec: readonly string[] | undefined, file: ConfigFile | null) {
  const given: GivenTask[] = [
    ...file?.tasks ?? [],
    ...(exec ?? []).map((spec) => ({
      task: parseExecSpec(spec),
      where: `--exec ${quoteValue(spec)}`,
    })),
  ];
  checkUniqueNames(given);
  return given.map(({ task }) => task);
}

/**
 * The options whose value differs between `running` and `next` and that a
 * reload does not apply: they need a restart.
 */
export function needsRestart(running: RawValues, next: RawValues): string[] {
  const reloaded: readonly string[] = RELOADED_FIELDS;
  const applied = new Set<string>(["exec"]);
  for (const option of HOST_OPTIONS) {
    if (option.field !== undefined && reloaded.includes(option.field)) applied.add(option.name);
  }
  const names = new Set([...Object.keys(running), ...Object.keys(next)]);
  return [...names].filter((name) =>
    !applied.has(name) && JSON.stringify(running[name]) !== JSON.stringify(next[name])
  );
}
