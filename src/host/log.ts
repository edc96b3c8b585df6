/**
 * The host's logging: `@logtape/logtape` with one synchronous stderr sink,
 * as text lines or JSON lines. Workers do not load logtape; they send their
 * records to the host as messages (see `shared/messages.ts`).
 *
 * @module
 */

import {
  configureSync,
  getJsonLinesFormatter,
  getLogger,
  getTextFormatter,
  type Logger,
  type LogLevel,
  type LogRecord,
} from "@logtape/logtape";
import { writeAllSync } from "../shared/streams.ts";

/** The levels `--log-level` accepts, lowest first. */
export const LOG_LEVELS: readonly HostLogLevel[] = ["debug", "info", "warning", "error"];
/** A level `--log-level` accepts. */
export type HostLogLevel = "debug" | "info" | "warning" | "error";
/** The formats `--log-format` accepts. */
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];
/** A format `--log-format` accepts. */
export type LogFormat = "text" | "json";

const encoder = new TextEncoder();

/** Sets up logging for the host process; call once, before anything logs. */
export function setupLogging(level: HostLogLevel, format: LogFormat): void {
  const formatter = format === "json"
    ? getJsonLinesFormatter({ categorySeparator: ".", message: "rendered" })
    : getTextFormatter({ timestamp: "date-time-tz", category: ".", value: "bare" });
  const sink = (record: LogRecord) => {
    try {
      writeAllSync(Deno.stderr, encoder.encode(formatter(record)));
    } catch {
      // stderr is gone (closed pipe): nothing left to tell.
    }
  };
  configureSync({
    reset: true,
    sinks: { stderr: sink },
    loggers: [
      { category: ["evrexec"], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

/** The logger for a category under `evrexec`, e.g. `log("rpc")`. */
export function log(...category: string[]): Logger {
  return getLogger(["evrexec", ...category]);
}

/**
 * Logs `message` as it is: braces are not taken as logtape placeholders.
 * `properties` go to the record (shown in JSON lines).
 */
export function logVerbatim(
  logger: Logger,
  level: LogLevel,
  message: string,
  properties: Record<string, unknown> = {},
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
