/**
 * Test helpers for a fleet of real hosts (issue 23): hosts started as
 * subprocesses with `--cluster` on a throwaway PostgreSQL, each calling
 * `tests/fixtures/fleet.ts`, which appends one line per call to a file all
 * hosts share; and readers of that file and of the fleet's tables.
 *
 * @module
 */

import { type ClusterPool, openClusterDb } from "../../src/cluster/db.ts";
import { fixture, startHost, type StartOptions, type TestHost } from "./host.ts";

/** The fleet fixture script. */
export const FLEET_SCRIPT = fixture("fleet.ts");

/** One line of the shared file: what ran, on which node, when. */
export interface FleetLine {
  /** tick, loop, echo, slow-start, slow-end. */
  readonly kind: string;
  /** The node. */
  readonly node: string;
  /** Ms since the epoch. */
  readonly at: number;
  /** The call's data. */
  readonly data: string;
}

/** Reads the shared file (empty when it does not exist yet). */
export function readLines(path: string): FleetLine[] {
  let text = "";
  try {
    text = Deno.readTextFileSync(path);
  } catch { /* none yet */ }
  return text.split("\n").filter((line) => line !== "").map((line) => {
    const [kind, node, at, ...data] = line.split(" ");
    return { kind, node, at: Number(at), data: data.join(" ") };
  });
}

/** Starts a host of the fleet `url` named `node`, writing to `out`. */
export function startFleetHost(
  url: string,
  node: string,
  out: string,
  options: StartOptions = {},
): Promise<TestHost> {
  return startHost(FLEET_SCRIPT, {
    ...options,
    args: [
      ...(options.env?.EVREXEC_CLUSTER ? [] : ["--cluster", url]),
      "--node",
      node,
      ...(options.args ?? []),
    ],
    env: { FLEET_NODE: node, FLEET_OUT: out, ...options.env },
  });
}

/** A connection to read the fleet's tables (schema `evrexec`). */
export function fleetDb(url: string): ClusterPool {
  return openClusterDb(url, { maxConnections: 1, applicationName: "evrexec-test" });
}

/** A recorded fire. */
export interface FireRow {
  /** The fire time, ms since the epoch. */
  readonly fireAt: number;
  /** When its run began, ms since the epoch (database clock). */
  readonly startedAt: number;
  /** The node that ran it. */
  readonly node: string;
  /** Its token. */
  readonly token: number;
  /** running, done, failed, lost. */
  readonly state: string;
}

/** The fires recorded for `task`, oldest first. */
export async function fires(db: ClusterPool, task: string): Promise<FireRow[]> {
  const rows = await db.run(
    "test fires",
    `SELECT (extract(epoch from fire_at) * 1000)::float8 AS fire_at,
       (extract(epoch from started_at) * 1000)::float8 AS started_at, node, token, state
     FROM evrexec.fires WHERE task = $1 ORDER BY fire_at`,
    [task],
  );
  return rows.map((row) => ({
    fireAt: Math.round(Number(row.fire_at)),
    startedAt: Number(row.started_at),
    node: String(row.node),
    token: Number(row.token),
    state: String(row.state),
  }));
}

/** Resolves when `predicate` holds (polling every 50 ms); throws naming `what` after `ms`. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const end = performance.now() + ms;
  while (!(await predicate())) {
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
