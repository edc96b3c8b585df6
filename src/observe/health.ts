/**
 * The health verdict that `GET /healthz` answers: healthy while every exec
 * task is active, RPC is served and no worker is stuck; otherwise the
 * reasons, in one line, for load balancers and probes.
 *
 * @module
 */

import type { StuckWorker } from "../spawn/registry.ts";
import type { PoolStuckState } from "../pool/stuck_bound.ts";
import { quoteValue } from "../shared/quote.ts";

/** What the verdict reads of the host. */
export interface HealthSource {
  /** True once a shutdown or stop has begun. */
  readonly stopping: boolean;
  /** Every exec task, by name and state. */
  readonly supervisors: readonly {
    readonly task: { readonly name: string };
    readonly state: string;
  }[];
  /** The fleet (`--cluster`): a lost database, singleton tasks standing by. */
  readonly fleet?: {
    problem(): string | null;
    standsBy(name: string): boolean;
  } | null;
}

/** The verdict: ok, or why not. */
export interface Health {
  /** True when the host is healthy. */
  readonly ok: boolean;
  /** `ok`, or every reason it is not, in one line. */
  readonly reason: string;
}

/**
 * Judges the host's health from its state, the workers stuck in synchronous
 * code, and what the RPC pool refuses because of them.
 */
export function healthOf(
  host: HealthSource,
  stuck: readonly StuckWorker[],
  pool?: PoolStuckState,
): Health {
  const reasons: string[] = [];
  if (host.stopping) reasons.push("shutting down");
  const fleetProblem = host.fleet?.problem() ?? null;
  if (fleetProblem !== null) reasons.push(fleetProblem);
  for (const supervisor of host.supervisors) {
    // A singleton task another host holds stands by, stopped here: that is its health.
    if (host.fleet?.standsBy(supervisor.task.name)) continue;
    const name = quoteValue(supervisor.task.name);
    if (supervisor.state === "failed") {
      reasons.push(`task ${name} failed: its workers crash-looped (evrexec.start restarts it)`);
    } else if (supervisor.state === "stopped") {
      reasons.push(`task ${name} is stopped`);
    }
  }
  if (stuck.length > 0) {
    reasons.push(
      `${stuck.length} worker${stuck.length === 1 ? "" : "s"} stuck in synchronous code ` +
        `(${stuck.map((worker) => worker.label).join(", ")}): restart the host to free the CPU`,
    );
  }
  if (pool?.closed) {
    reasons.push("the RPC pool takes no call: as many workers are stuck as --max-stuck allows");
  }
  // Refused functions burn nothing once no worker is stuck: told only alongside stuck workers.
  if (pool !== undefined && pool.refused.length > 0 && stuck.length > 0) {
    reasons.push(`RPC functions refused for a stuck worker: ${pool.refused.join(", ")}`);
  }
  return reasons.length === 0
    ? { ok: true, reason: "ok" }
    : { ok: false, reason: reasons.join("; ") };
}
