/**
 * `--rpc-pool SPEC`: the warm RPC pool's size and sandbox in the exec
 * spec's form, e.g.
 * `workers=4;isolation=process;heap=256;allow-net=api.internal:443`.
 * `--rpc-workers N` is a shorthand for `--rpc-pool workers=N`.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { readInteger } from "../base/values.ts";
import { readSandbox, SANDBOX_KEYS, type SandboxSpec } from "./sandbox.ts";
import { specItems } from "./spec_items.ts";
import { quoteValue } from "../shared/quote.ts";

/** The most warm workers the pool may have. */
export const MAX_POOL_WORKERS = 256;
/** The keys `--rpc-pool` takes. */
export const POOL_KEYS = ["workers", ...SANDBOX_KEYS] as const;

/** What `--rpc-pool` says. */
export interface PoolSpec {
  /** Warm workers, or null when the spec does not say. */
  readonly workers: number | null;
  /** Isolation, heap cap and permissions of every pool worker. */
  readonly sandbox: SandboxSpec;
}

/** Parses `--rpc-pool SPEC` (`label` names it); throws a {@link ConfigError} quoting it. */
export function parsePoolSpec(spec: string, label = "--rpc-pool"): PoolSpec {
  try {
    if (spec.trim() === "") throw new ConfigError("empty spec");
    const found = specItems(spec, POOL_KEYS);
    const workers = found.get("workers");
    const sandbox = readSandbox(found);
    if (sandbox.isolation === "shared") {
      throw new ConfigError(
        "isolation=shared is for exec tasks; the pool's workers are threads or processes",
      );
    }
    return {
      workers: workers === undefined ? null : readInteger("workers", workers, 1, MAX_POOL_WORKERS),
      sandbox,
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(`${label} ${quoteValue(spec)}: ${error.message}`);
  }
}

/**
 * The pool's size from `--rpc-workers` (`shorthand`, a number read already
 * or undefined) and `--rpc-pool`; both naming a size is an error; undefined
 * when neither names one (the default applies).
 */
export function poolSize(shorthand: number | undefined, pool: PoolSpec | null): number | undefined {
  if (shorthand !== undefined && pool?.workers != null) {
    throw new ConfigError(
      "--rpc-workers and --rpc-pool workers= both set the pool's size: give one of them",
    );
  }
  return shorthand ?? pool?.workers ?? undefined;
}
