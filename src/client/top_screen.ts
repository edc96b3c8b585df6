/**
 * One screen of `deno task top`, as lines sized to the window: a header that
 * stays, then the workers and the functions, scrolled by the arrow keys.
 *
 * @module
 */

import { escapeControls } from "../shared/control_chars.ts";
import { ago } from "../host/methods/task_info.ts";
import { type Column, renderTable } from "./text_table.ts";
import { type TopView, WINDOW_MS } from "./top_model.ts";

/** The window's size, in characters. */
export interface ScreenSize {
  /** Columns of the terminal. */
  readonly columns: number;
  /** Rows of the terminal. */
  readonly rows: number;
}

/** What the screen shows besides the host's figures. */
export interface ScreenState {
  /** The socket the view reads. */
  readonly socket: string;
  /** The clock line's time. */
  readonly now: Date;
  /** Lines of the body scrolled past. */
  readonly scroll: number;
  /** Why the last refresh failed, if it did (the last view stays on screen). */
  readonly problem: string | null;
}

const WORKERS: readonly Column[] = [
  { title: "IDX", align: "right" },
  { title: "TASK" },
  { title: "TASK STATE" },
  { title: "INDEX", align: "right" },
  { title: "STATE" },
  { title: "UPTIME", align: "right" },
  { title: "RESTARTS", align: "right" },
  { title: "HEAP", align: "right" },
  { title: "LAST ERROR" },
];

const FUNCTIONS: readonly Column[] = [
  { title: "FUNCTION" },
  { title: "CALLS/S", align: "right" },
  { title: "CALLS", align: "right" },
  { title: "ERRORS", align: "right" },
  { title: "TIMEOUTS", align: "right" },
  { title: "P50", align: "right" },
  { title: "P99", align: "right" },
];

/** Bytes for people: `7.1M`. */
export function bytes(n: number | null): string {
  if (n === null) return "-";
  if (n < 1024) return `${n}B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)}K`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)}M`;
  return `${(n / 1024 ** 3).toFixed(1)}G`;
}

/** Milliseconds for people: `0.21ms`, `12ms`, `1.5s`. */
function duration(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 10) return `${ms.toFixed(2)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(1)}s`;
}

/** How many lines {@link header} has. */
const HEADER_LINES = 5;

/** `title` then `clock` at the end, within `width`: a long title (a socket path) is cut first. */
function titleLine(title: string, clock: string, width: number): string {
  const room = width - clock.length - 2;
  const shown = title.length <= room ? title : `${title.slice(0, Math.max(0, room - 1))}…`;
  return `${shown}  ${clock}`;
}

/** The lines that stay on top: what runs where, the totals, the keys. */
function header(view: TopView | null, state: ScreenState, width: number): string[] {
  const clock = state.now.toTimeString().slice(0, 8);
  const title = view
    ? `evrexec top - ${view.version} - up ${ago(view.uptimeS * 1000)} - ${state.socket}`
    : `evrexec top - ${state.socket}`;
  const g = (name: string) => view?.gauges.get(name) ?? 0;
  const exec = view?.workers.filter((w) => w.role === "exec").length ?? 0;
  const tasks = new Set(view?.workers.filter((w) => w.role === "exec").map((w) => w.task));
  const rate = view?.functions.reduce((sum, f) => sum + (f.rate ?? 0), 0) ?? 0;
  const f = view?.fleet;
  const fleet = f
    ? `; fleet: node ${f.node}, ${f.nodes} live, database ${f.database}, ` +
      `queue ${f.queued} (${f.running} running)`
    : "";
  return [
    titleLine(title, clock, width),
    `tasks ${tasks.size} (${g("evrexec:tasks_failed")} failed), exec workers ${exec}, ` +
    `stuck ${g("evrexec:stuck_workers")}${fleet}`,
    `RPC ${rate.toFixed(1)} calls/s, queue ${g("rpc:queue_length")}, ` +
    `running ${g("rpc:running")}, connections ${g("rpc:connections")}`,
    state.problem ? `! ${state.problem}` : "q quits, arrow keys scroll",
    "",
  ];
}

/** The scrolled part: the workers, then the functions. */
function body(view: TopView, width: number): string[] {
  const workers = renderTable(
    WORKERS,
    view.workers.map((w) => [
      String(w.idx),
      w.role === "rpc" ? "(rpc pool)" : w.task,
      w.taskState,
      w.index,
      w.state,
      w.uptime,
      w.restarts,
      bytes(w.heap),
      w.lastError,
    ]),
    width,
  );
  const functions = [...view.functions].sort((a, b) =>
    (b.rate ?? 0) - (a.rate ?? 0) || b.calls - a.calls
  );
  const calls = renderTable(
    FUNCTIONS,
    functions.map((f) => [
      f.name,
      f.rate === null ? "-" : f.rate.toFixed(1),
      String(f.calls),
      String(f.errors),
      String(f.timeouts),
      duration(f.p50) + (f.sinceStart && f.p50 !== null ? "*" : ""),
      duration(f.p99) + (f.sinceStart && f.p99 !== null ? "*" : ""),
    ]),
    width,
  );
  const legend = !view.functions.some((f) => f.sinceStart) ? [] : [
    `P50/P99 over the last ${WINDOW_MS / 1000} s; * since the host started (no call in the last ${
      WINDOW_MS / 1000
    } s)`,
  ];
  return [...workers.split("\n"), "", ...calls.split("\n"), ...legend];
}

/** The most lines the body can be scrolled by, at `size`. */
export function maxScroll(view: TopView | null, size: ScreenSize): number {
  if (view === null) return 0;
  const room = size.rows - HEADER_LINES;
  return Math.max(0, body(view, size.columns).length - room);
}

/** The screen's lines: at most `size.rows`, each at most `size.columns` wide. */
export function renderScreen(view: TopView | null, state: ScreenState, size: ScreenSize): string[] {
  const top = header(view, state, size.columns);
  const rest = view ? body(view, size.columns) : ["waiting for the host..."];
  const room = Math.max(0, size.rows - top.length);
  const scroll = Math.min(state.scroll, Math.max(0, rest.length - room));
  return [...top, ...rest.slice(scroll, scroll + room)]
    .slice(0, size.rows)
    .map((line) => escapeControls(line)) // names, errors and paths come from data
    .map((line) => line.length > size.columns ? line.slice(0, size.columns) : line);
}
