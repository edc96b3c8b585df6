/**
 * The side-by-side section of the report and its targets: the host's
 * `evrexec.run` beside Kamailio's, the "floor" column holding Kamailio's
 * figures, and each server's CPU while idle.
 *
 * @module
 */

import type { SidePoint, SideResults, SideServer } from "./side_by_side.ts";
import { fmt, fmtRatio, ratioRow, type TableRow, targetCells } from "../report/table.ts";
import type { Target } from "../report/targets.ts";

/** Above this share of one core, an idle host counts as burning CPU. */
const IDLE_CPU_BOUND_PERCENT = 1;

const LABELS: Record<SideServer, string> = {
  kamailio: "Kamailio, datagram",
  "host-dgram": "datagram",
  "host-stream": "stream socket",
  "deno-floor": "Deno's floor, stream socket",
};

/**
 * The targets: the host's p50 over datagrams at or under Kamailio's (1
 * client, median of the rounds' ratios), and an idle host at (about) 0 % CPU.
 */
export function sideTargets(side: SideResults): Target[] {
  if (side.skipped !== undefined) return [];
  const targets: Target[] = [];
  const one = side.points.find((p) => p.server === "host-dgram" && p.clients === 1);
  if (one !== undefined) {
    targets.push({
      name: "evrexec.run p50, 1 client, datagram: host/Kamailio",
      value: one.p50RatioToKamailio,
      bound: "<= 1x",
      ok: one.p50RatioToKamailio <= 1,
    });
  }
  const idle = side.idleCpuPercent["host-dgram"];
  if (idle !== undefined) {
    targets.push({
      name: "idle host CPU, % of a core",
      value: idle,
      bound: `<= ${IDLE_CPU_BOUND_PERCENT} %`,
      ok: idle <= IDLE_CPU_BOUND_PERCENT,
    });
  }
  return targets;
}

function pointRows(point: SidePoint, kamailio: SidePoint, target?: Target): TableRow[] {
  const c = `${point.clients} client${point.clients === 1 ? "" : "s"}, ${LABELS[point.server]}`;
  const host = point.figures, theirs = kamailio.figures;
  return [
    [
      `  ${c}: p50 us`,
      fmt(host.p50Us),
      fmt(theirs.p50Us),
      fmtRatio(point.p50RatioToKamailio), // the median of the rounds' ratios
      ...targetCells(target),
    ],
    ratioRow(`  ${c}: p99 us`, host.p99Us, theirs.p99Us),
    ratioRow(`  ${c}: calls/s`, host.callsPerS, theirs.callsPerS),
    ratioRow(`  ${c}: server CPU us/call`, host.serverCpuUsPerCall, theirs.serverCpuUsPerCall),
    [
      `  ${c}: errors / lost`,
      `${host.errors + host.connectFailures} / ${host.lost}`,
      `${theirs.errors + theirs.connectFailures} / ${theirs.lost}`,
      "",
      "",
      "",
    ],
  ];
}

/** The section's rows (the "floor" column is Kamailio's), or one line saying why it was skipped. */
export function sideRows(
  side: SideResults,
  targets: readonly Target[],
  rounds: number,
): TableRow[] {
  if (side.skipped !== undefined) {
    return [{ section: `Side by side with Kamailio: skipped: ${side.skipped}` }];
  }
  const rows: TableRow[] = [{
    section: `Side by side with Kamailio ${side.kamailio}: evrexec.run echo DATA, one client ` +
      `program for both (bench/side_by_side/client.py), closed loops; median of ${rounds} rounds, ` +
      `p50 ratio = median of the rounds' ratios; "floor" column = Kamailio over datagrams; ` +
      `"Deno's floor" rows: a bare Deno server answering on its main thread (bench/floors/server.ts)`,
  }];
  const p50Target = targets.find((t) => t.name.startsWith("evrexec.run p50, 1 client, datagram"));
  for (const kamailio of side.points.filter((p) => p.server === "kamailio")) {
    for (const point of side.points.filter((p) => p.clients === kamailio.clients)) {
      if (point.server === "kamailio") continue;
      const target = point.server === "host-dgram" && point.clients === 1 ? p50Target : undefined;
      rows.push(...pointRows(point, kamailio, target));
    }
    rows.push([
      `  ${kamailio.clients} client${kamailio.clients === 1 ? "" : "s"}: Kamailio's p50 per round`,
      "",
      kamailio.p50s.map((p) => fmt(p)).join(" "),
      "",
      "",
      "",
    ]);
  }
  const idle = targets.find((t) => t.name.startsWith("idle host CPU"));
  rows.push([
    "  CPU while idle, % of a core (1 s after the last call)",
    fmt(side.idleCpuPercent["host-dgram"] ?? NaN, 2),
    fmt(side.idleCpuPercent.kamailio ?? NaN, 2),
    "",
    ...targetCells(idle),
  ]);
  return rows;
}
