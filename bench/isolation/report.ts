/**
 * The isolation section of the report and its targets: start-up of each
 * kind of worker against its floor, memory per worker (RSS and PSS), RPC
 * through a pool of each kind, and what the heap cap costs against plain
 * Web Workers.
 *
 * @module
 */

import type { VariantResult } from "./isolation.ts";
import { fmt, fmtRatio, fmtSpread, ratioRow, type TableRow, targetCells } from "../report/table.ts";
import type { Target } from "../report/targets.ts";

const LIMIT = 1.2;
const name = (result: VariantResult) => `start-up, 64 workers, ${result.name}: host/floor (median)`;

/** The targets: start-up at 64 workers within 1.2x the matching floor, for both thread kinds. */
export function isolationTargets(results: readonly VariantResult[]): Target[] {
  return results.filter((result) => result.floor !== "process").flatMap((result) => {
    const at64 = result.startup.find((point) => point.workers === 64);
    if (at64 === undefined) return [];
    return [{
      name: name(result),
      value: at64.ratio,
      bound: `<= ${LIMIT}x`,
      ok: at64.ratio <= LIMIT,
    }];
  });
}

/** The rows of the isolation section. */
export function isolationRows(
  results: readonly VariantResult[],
  targets: readonly Target[],
): TableRow[] {
  const rows: TableRow[] = [{
    section: "Isolation: each kind of worker against its floor (capped threads: bare node " +
      "workers capped at 256 MiB; Web Workers: bare Web Workers; processes: bare deno run children)",
  }];
  for (const result of results) {
    rows.push({ section: `  ${result.name}` });
    for (const point of result.startup) {
      const target = point.workers === 64
        ? targets.find((t) => t.name === name(result))
        : undefined;
      rows.push([
        `    start-up, ${point.workers} workers, ms (min / median / max)`,
        fmtSpread(point.host),
        fmtSpread(point.floor),
        fmtRatio(point.ratio),
        ...targetCells(target),
      ]);
    }
    const m = result.memory;
    rows.push(
      ratioRow(`    RSS per worker, MiB (${m.workers} workers)`, m.hostRssMiB, m.floorRssMiB, {
        digits: 2,
      }),
      ratioRow(`    PSS per worker, MiB (${m.workers} workers)`, m.hostPssMiB, m.floorPssMiB, {
        digits: 2,
      }),
    );
    rows.push(["    evrexec.run p50 (1 connection), us", fmt(result.rpc.p50Us1), "", "", "", ""]);
    rows.push([
      "    evrexec.run calls/s (4 connections)",
      fmt(result.rpc.callsPerS4),
      "",
      "",
      "",
      "",
    ]);
    rows.push([
      "    RPC errors + lost calls",
      String(result.rpc.problems),
      "",
      "",
      "= 0",
      result.rpc.problems === 0 ? "ok" : "MISSED",
    ]);
  }
  const [capped, plain] = results;
  if (capped !== undefined && plain !== undefined) {
    rows.push({
      section: "  what the heap cap costs: capped threads / Web Workers (host figures)",
    });
    for (const [i, point] of capped.startup.entries()) {
      const web = plain.startup[i];
      rows.push(
        ratioRow(
          `    start-up, ${point.workers} workers (medians, ms)`,
          point.host.median,
          web?.host.median ?? NaN,
        ),
      );
    }
    rows.push(
      ratioRow("    RSS per worker, MiB", capped.memory.hostRssMiB, plain.memory.hostRssMiB, {
        digits: 2,
      }),
      ratioRow("    evrexec.run p50, us", capped.rpc.p50Us1, plain.rpc.p50Us1),
    );
  }
  return rows;
}
