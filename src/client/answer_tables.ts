/**
 * How `deno task rpc` shows the answers people read most: `core.psx`,
 * `evrexec.list` and the `stats.*` lists as aligned tables; anything else
 * (and any answer of another shape) as before, as a string or JSON.
 *
 * @module
 */

import { type Column, renderTable } from "./text_table.ts";

type Row = Record<string, unknown>;

interface LastError {
  readonly message?: unknown;
  readonly ago?: unknown;
}

function text(value: unknown): string {
  return value === undefined || value === null ? "-" : String(value);
}

function lastError(error: unknown): string {
  if (typeof error !== "object" || error === null) return "-";
  const { message, ago } = error as LastError;
  return `${text(ago)} ago: ${text(message)}`;
}

const PSX: readonly Column[] = [
  { title: "IDX", align: "right" },
  { title: "PID", align: "right" },
  { title: "TASK" },
  { title: "INDEX", align: "right" },
  { title: "STATE" },
  { title: "UPTIME", align: "right" },
  { title: "RESTARTS", align: "right" },
  { title: "LAST ERROR" },
];

function psxTable(rows: readonly Row[], width: number): string {
  return renderTable(
    PSX,
    rows.map((row) =>
      row.state === "stuck"
        ? [text(row.IDX), text(row.PID), "-", "-", "stuck", "-", "-", text(row.DSC)]
        : [
          text(row.IDX),
          text(row.PID),
          text(row.task),
          text(row.index),
          text(row.state),
          text(row.uptime),
          text(row.restarts),
          lastError(row.last_error),
        ]
    ),
    width,
  );
}

const LIST: readonly Column[] = [
  { title: "TASK" },
  { title: "TASK STATE" },
  { title: "INDEX", align: "right" },
  { title: "STATE" },
  { title: "UPTIME", align: "right" },
  { title: "RESTARTS", align: "right" },
  { title: "LAST ERROR" },
];

function listTable(tasks: readonly Row[], width: number): string {
  // A host in a fleet shows who holds each singleton task (HOLDER; "-" for other tasks).
  const fleet = tasks.some((task) => "holder" in task);
  const rows = tasks.flatMap((task) =>
    (Array.isArray(task.workers) ? task.workers as Row[] : []).map((worker) => [
      text(task.name),
      text(task.state),
      ...(fleet
        ? [!("holder" in task) ? "-" : task.holder === null ? "none" : text(task.holder)]
        : []),
      text(worker.index),
      text(worker.state),
      text(worker.uptime),
      text(worker.restarts),
      lastError(worker.last_error),
    ])
  );
  const columns = fleet ? [LIST[0], LIST[1], { title: "HOLDER" }, ...LIST.slice(2)] : LIST;
  return renderTable(columns, rows, width);
}

const STATS: readonly Column[] = [{ title: "STATISTIC" }, { title: "VALUE", align: "right" }];

function statsTable(lines: readonly string[], width: number): string {
  const rows = lines.map((line) => {
    const at = line.lastIndexOf(" = ");
    return at < 0 ? [line, ""] : [line.slice(0, at), line.slice(at + 3)];
  });
  return renderTable(STATS, rows, width);
}

function allObjects(value: unknown): value is Row[] {
  return Array.isArray(value) && value.every((row) => typeof row === "object" && row !== null);
}

/**
 * The answer of `method` as a table, or null when it is not one of the
 * methods shown as tables or not of the expected shape.
 */
export function answerTable(method: string, result: unknown, width: number): string | null {
  if (method === "core.psx" && allObjects(result)) return psxTable(result, width);
  if (method === "evrexec.list" && allObjects(result)) return listTable(result, width);
  if (
    (method === "stats.get_statistics" || method === "stats.clear_statistics") &&
    Array.isArray(result) && result.every((line) => typeof line === "string")
  ) return statsTable(result, width);
  return null;
}
