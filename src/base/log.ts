/**
 * The host's logging: `@logtape/logtape` with one sink, stderr (written at
 * once) or a log file (`log_file.ts`, written without blocking), as text
 * lines or JSON lines. Workers do not load logtape; they send their records
 * to the host as messages (see `shared/messages.ts`). A record is always one
 * line: in text lines every control character of a message or value (CR, LF,
 * ESC, the rest of C0, DEL, C1, U+2028/2029, bidi controls) is escaped
 * (`shared/control_chars.ts`), so data cannot forge a record nor drive the
 * terminal that shows it; JSON lines escape the same characters in JSON.
 *
 * @module
 */

import {
  configureSync,
  getJsonLinesFormatter,
  getLogger,
  getTextFormatter,
  type LogRecord,
} from "@logtape/logtape";
import { escapeControls, escapeJsonControls } from "../shared/control_chars.ts";
import { writeAllSync } from "./streams.ts";
import { LogFile, type LogFileOptions } from "./log_file.ts";

/** The level of a record (logtape's levels; a worker's records come at one of them). */
export type LogLevel = "trace" | "debug" | "info" | "warning" | "error" | "fatal";

/** Properties a record carries (shown in JSON lines). */
export type LogProperties = Record<string, unknown>;

/** A logger of the host's (logtape's, as this code uses it); `{name}` in a message is a placeholder. */
export interface HostLogger {
  /** Logs at debug level. */
  debug(message: string, properties?: LogProperties): void;
  /** Logs at info level. */
  info(message: string, properties?: LogProperties): void;
  /** Logs at warning level. */
  warn(message: string, properties?: LogProperties): void;
  /** Logs at error level. */
  error(message: string, properties?: LogProperties): void;
  /** Logs at fatal level. */
  fatal(message: string, properties?: LogProperties): void;
}

/** The levels `--log-level` accepts, lowest first. */
export const LOG_LEVELS: readonly HostLogLevel[] = ["debug", "info", "warning", "error"];
/** A level `--log-level` accepts. */
export type HostLogLevel = "debug" | "info" | "warning" | "error";
/** The formats `--log-format` accepts. */
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];
/** A format `--log-format` accepts. */
export type LogFormat = "text" | "json";

const encoder = new TextEncoder();
let logFile: LogFile | null = null;

function toStderr(text: string): void {
  try {
    writeAllSync(Deno.stderr, encoder.encode(text));
  } catch {
    // stderr is gone (closed pipe): nothing left to tell.
  }
}

/** The text formatter: logtape's layout, the whole record made one line. */
function textLine(): (record: LogRecord) => string {
  return getTextFormatter({
    timestamp: "date-time-tz",
    category: ".",
    value: "bare",
    sanitize: false, // escapeControls below does it for the whole record
    format: ({ timestamp, level, category, message }) =>
      escapeControls(`${timestamp} [${level}] ${category}: ${message}`),
  });
}

/** The JSON lines formatter, with the characters JSON leaves raw escaped too. */
function jsonLine(): (record: LogRecord) => string {
  const json = getJsonLinesFormatter({ categorySeparator: ".", message: "rendered" });
  return (record) => escapeJsonControls(json(record));
}

/** Opens the log file; its problems go to stderr and to the log itself. */
async function openLogFile(options: LogFileOptions): Promise<LogFile> {
  const file = await LogFile.open(options, {
    dropped: (count, path) =>
      log().warn(
        "{count} log records were dropped while {path} took no writes (a slow or full disk)",
        { count, path },
      ),
    problem(message) {
      toStderr(`evrexec-deno: ${escapeControls(message)}\n`);
      logVerbatim(log(), "warning", message);
    },
  });
  globalThis.addEventListener("unload", () => file.flushSync());
  return file;
}

/**
 * Sets up logging for the host process; call once, before anything logs.
 *
 * @param level The lowest level written.
 * @param format Text lines or JSON lines.
 * @param file A log file to write instead of stderr, and its rotation.
 * @returns Once the log file (if any) is open.
 * @throws {ConfigError} (as a rejection) When the file cannot be opened, or is a symbolic link.
 */
export async function setupLogging(
  level: HostLogLevel,
  format: LogFormat,
  file?: LogFileOptions,
): Promise<void> {
  const formatter = format === "json" ? jsonLine() : textLine();
  logFile?.close();
  logFile = file ? await openLogFile(file) : null;
  const target = logFile;
  const sink = target
    ? (record: LogRecord) => target.write(encoder.encode(formatter(record)))
    : (record: LogRecord) => toStderr(formatter(record));
  configureSync({
    reset: true,
    sinks: { stderr: sink },
    loggers: [
      { category: ["evrexec"], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

/**
 * Reopens the log file, if there is one (SIGUSR2 or `evrexec.reopen_log`,
 * after logrotate moved it away). Resolves with its path, or null without
 * `--log-file`; rejects with the problem, and the old file stays in use.
 */
export async function reopenLogFile(): Promise<string | null> {
  if (logFile === null) return null;
  await logFile.reopen();
  return logFile.path;
}

/** Waits (up to `timeoutMs`) until the log file has written what is queued. */
export async function flushLog(timeoutMs: number): Promise<void> {
  await logFile?.flush(timeoutMs);
}

/** The logger for a category under `evrexec`, e.g. `log("rpc")`. */
export function log(...category: string[]): HostLogger {
  return getLogger(["evrexec", ...category]);
}

/**
 * Logs `message` as it is: braces are not taken as logtape placeholders.
 * `properties` go to the record (shown in JSON lines).
 */
export function logVerbatim(
  logger: HostLogger,
  level: LogLevel,
  message: string,
  properties: LogProperties = {},
): void {
  const text = message.replaceAll("{", "{{").replaceAll("}", "}}");
  switch (level) {
    case "trace":
    case "debug":
      return logger.debug(text, properties);
    case "info":
      return logger.info(text, properties);
    case "warning":
      return logger.warn(text, properties);
    case "error":
      return logger.error(text, properties);
    case "fatal":
      return logger.fatal(text, properties);
  }
}

/** Writes a KSR record that a worker sent, under `evrexec.<task>.<index>`. */
export function logFromWorker(
  task: string,
  index: number,
  level: LogLevel,
  message: string,
): void {
  logVerbatim(log(task, String(index)), level, message, { task, index });
}
