/**
 * A plain-text table: aligned columns, section headings between groups of
 * rows, and number formats shared by the report.
 *
 * @module
 */

/** A row of cells, or a section heading spanning the table. */
import { ratio } from "../common/stats.ts";

export type TableRow = readonly string[] | { readonly section: string };

/** Renders `rows` under `header` with columns padded to their widest cell. */
export function renderTable(header: readonly string[], rows: readonly TableRow[]): string {
  const cells = rows.filter((row): row is readonly string[] => Array.isArray(row));
  const widths = header.map((title, i) =>
    Math.max(title.length, ...cells.map((row) => (row[i] ?? "").length))
  );
  const line = (row: readonly string[]) =>
    row.map((cell, i) => i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))
      .join("  ").trimEnd();
  const rule = "-".repeat(widths.reduce((sum, width) => sum + width + 2, -2));
  const out = [line(header), rule];
  for (const row of rows) {
    out.push(Array.isArray(row) ? line(row) : `${(row as { section: string }).section}`);
  }
  return out.join("\n");
}

/** A number with `digits` decimals, or "-" when it is not finite. */
export function fmt(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}

/** A ratio as `1.23x`, or "-". */
export function fmtRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : "-";
}

/** Min / median / max of a spread, as `a / b / c`. */
export function fmtSpread(
  spread: { readonly min: number; readonly median: number; readonly max: number },
  digits = 0,
): string {
  return `${fmt(spread.min, digits)} / ${fmt(spread.median, digits)} / ${fmt(spread.max, digits)}`;
}

/** The status cells of a row: a target's bound and whether it held, or two blanks. */
export function targetCells(target?: { readonly bound: string; readonly ok: boolean }): string[] {
  return target === undefined ? ["", ""] : [target.bound, target.ok ? "ok" : "MISSED"];
}

/** A figure beside its reference: the label, both values, their ratio, and a target's cells. */
export function ratioRow(
  label: string,
  value: number,
  reference: number,
  options: {
    readonly digits?: number;
    readonly target?: { readonly bound: string; readonly ok: boolean };
  } = {},
): string[] {
  return [
    label,
    fmt(value, options.digits),
    fmt(reference, options.digits),
    fmtRatio(ratio(value, reference)),
    ...targetCells(options.target),
  ];
}
