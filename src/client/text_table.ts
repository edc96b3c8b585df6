/**
 * Aligned text tables for people: columns padded to their widest cell,
 * shrunk (widest first, cells cut with "…") to fit a terminal's width. A
 * cell shows its first line, its control characters escaped (cells hold
 * data: names, a script's error messages).
 *
 * @module
 */

import { readEnv } from "../base/env.ts";
import { escapeControls } from "../shared/control_chars.ts";

/** How a column is aligned. */
export type Align = "left" | "right";

/** One column: its heading and alignment. */
export interface Column {
  /** The heading, in capitals by convention. */
  readonly title: string;
  /** Right for numbers; left otherwise (the default). */
  readonly align?: Align;
}

const GAP = "  ";
/** The last column (free text such as an error) shrinks first, down to this many characters. */
const LAST_MIN_WIDTH = 10;
/** No column is shrunk below this many characters. */
const MIN_WIDTH = 5;

function cut(text: string, width: number): string {
  return text.length <= width ? text : text.slice(0, Math.max(0, width - 1)) + "…";
}

/**
 * Renders `rows` under `columns`, every line at most `maxWidth` characters
 * wide when the columns can shrink that far. Cells are one line each.
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  maxWidth = Infinity,
): string {
  const cells = rows.map((row) =>
    row.map((cell) => escapeControls(cell.replace(/\s*\n[\s\S]*$/, "")))
  );
  const widths = columns.map((column, i) =>
    Math.max(column.title.length, ...cells.map((row) => (row[i] ?? "").length))
  );
  const total = () => widths.reduce((sum, w) => sum + w, 0) + GAP.length * (widths.length - 1);
  const last = widths.length - 1;
  const over = total() - maxWidth;
  if (over > 0) {
    widths[last] = Math.max(Math.min(widths[last], LAST_MIN_WIDTH), widths[last] - over);
  }
  // Then the widest columns, first not below their titles, then down to MIN_WIDTH.
  for (const floor of [(i: number) => columns[i].title.length, () => MIN_WIDTH]) {
    while (total() > maxWidth) {
      const candidates = widths.map((w, i) => w > floor(i) ? w : -1);
      const widest = candidates.indexOf(Math.max(...candidates));
      if (candidates[widest] < 0) break;
      widths[widest]--;
    }
  }
  const line = (row: readonly string[]) =>
    columns.map((column, i) => {
      const text = cut(row[i] ?? "", widths[i]);
      return column.align === "right" ? text.padStart(widths[i]) : text.padEnd(widths[i]);
    }).join(GAP).trimEnd();
  return [line(columns.map((column) => column.title)), ...cells.map(line)].join("\n");
}

/**
 * The width to fit: `$COLUMNS` when set, else the terminal's, else no limit.
 * Throws a `ConfigError` when Deno may not read `COLUMNS` (no `--allow-env`).
 */
export function terminalWidth(): number {
  const columns = Number(readEnv("COLUMNS", "--json"));
  if (Number.isInteger(columns) && columns > 0) return columns;
  try {
    return Deno.stdout.isTerminal() ? Deno.consoleSize().columns : Infinity;
  } catch {
    return Infinity;
  }
}
