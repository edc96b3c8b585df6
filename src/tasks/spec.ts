/**
 * The exec spec: `name=<fn>;wait=<microseconds>;workers=<N>` and this host's
 * supervision and UDP keys, parsed with Kamailio's evrexec rules, stricter
 * where Kamailio is lax.
 *
 * @module
 */

import { ConfigError } from "../shared/errors.ts";
import { parseUdpAddress, type UdpAddress } from "./udp_address.ts";

/** The most workers one task may ask for. */
export const MAX_WORKERS = 1024;
/** The longest start delay, in microseconds: one day. */
export const MAX_WAIT_US = 86_400_000_000;
/** The longest duration a supervision key takes, in milliseconds: one day. */
const MAX_MS = 86_400_000;

/** When a worker whose function ended is started again. */
export type RestartPolicy = "no" | "on-failure" | "always";
/** The restart policies, as the spec spells them. */
export const RESTART_POLICIES: readonly RestartPolicy[] = ["no", "on-failure", "always"];

/** One exec task, as the exec spec describes it. */
export interface ExecTask {
  /** The exported function the task's workers call. */
  readonly name: string;
  /** Microseconds each worker waits before it calls the function. */
  readonly waitUs: number;
  /** How many dedicated workers the task gets (at least 1). */
  readonly workers: number;
  /** When a worker whose function ended is restarted (default `no`). */
  readonly restart: RestartPolicy;
  /** First delay before a restart, in ms; it doubles up to `backoffMaxMs`. */
  readonly backoffMs: number;
  /** Longest delay before a restart, in ms. */
  readonly backoffMaxMs: number;
  /** Restarts of the task allowed within `restartWindowMs` before it is marked failed. */
  readonly maxRestarts: number;
  /** The crash-loop window, and how long a worker must stay up to reset its backoff, in ms. */
  readonly restartWindowMs: number;
  /** For a UDP task, the address its one worker binds; null otherwise. */
  readonly sockaddr: UdpAddress | null;
  /** The spec text as the user gave it. */
  readonly spec: string;
}

/** The keys an exec spec may hold, in the order the docs list them. */
export const SPEC_KEYS = [
  "name",
  "wait",
  "workers",
  "restart",
  "backoff",
  "backoff_max",
  "max_restarts",
  "restart_window",
  "sockaddr",
] as const;
type SpecKey = typeof SPEC_KEYS[number];

/** Error in an exec spec: the message quotes the spec and names the bad part. */
export class ExecSpecError extends ConfigError {
  /** Creates the error for `spec`, with `problem` saying what is wrong. */
  constructor(readonly spec: string, readonly problem: string) {
    super(`exec spec ${JSON.stringify(spec)}: ${problem}`);
    this.name = "ExecSpecError";
  }
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"')
    ? value.slice(1, -1)
    : value;
}

/** Splits a spec into its `key=value` items, keys lower-cased. */
function items(spec: string): Map<SpecKey, string> {
  const parts = spec.split(";");
  if (parts.length > 1 && parts[parts.length - 1].trim() === "") parts.pop();
  const found = new Map<SpecKey, string>();
  for (const part of parts) {
    const item = part.trim();
    if (item === "") throw "empty item between ';'";
    const eq = item.indexOf("=");
    if (eq < 0) throw `item ${JSON.stringify(item)} is not key=value`;
    const key = item.slice(0, eq).trim().replace(/[A-Z]/g, (c) => c.toLowerCase()); // ASCII only, as Kamailio
    if (!(SPEC_KEYS as readonly string[]).includes(key)) {
      throw `unknown key ${JSON.stringify(key)} (expected ${SPEC_KEYS.join(", ")})`;
    }
    if (found.has(key as SpecKey)) throw `key "${key}" given twice`;
    found.set(key as SpecKey, unquote(item.slice(eq + 1).trim()));
  }
  return found;
}

/** Reads a non-negative integer key within `[min, max]`, or `fallback`. */
function count(
  found: Map<SpecKey, string>,
  key: SpecKey,
  fallback: number,
  max: number,
  unit = "",
  min = 0,
): number {
  const value = found.get(key);
  if (value === undefined) return fallback;
  if (!/^[0-9]+$/.test(value)) {
    throw `${key} must be a non-negative integer${unit}, got ${JSON.stringify(value)}`;
  }
  const n = Number(value);
  if (n > max) throw `${key} must be at most ${max}${unit}, got ${value}`;
  if (n < min) throw `${key} must be at least ${min}${unit}, got ${value}`;
  return n;
}

function restartPolicy(found: Map<SpecKey, string>): RestartPolicy {
  const value = found.get("restart") ?? "no";
  if (!(RESTART_POLICIES as readonly string[]).includes(value)) {
    throw `restart must be one of ${RESTART_POLICIES.join(", ")}, got ${JSON.stringify(value)}`;
  }
  return value as RestartPolicy;
}

/**
 * Parses one exec spec. Throws {@link ExecSpecError} naming the bad part.
 *
 * @example
 * ```ts
 * import { parseExecSpec } from "./spec.ts";
 * parseExecSpec("name=evrexec:timer;wait=1000;workers=1");
 * // { name: "evrexec:timer", waitUs: 1000, workers: 1, restart: "no", … }
 * ```
 */
export function parseExecSpec(spec: string): ExecTask {
  if (spec.trim() === "") throw new ExecSpecError(spec, "empty spec");
  try {
    const found = items(spec);
    const name = found.get("name");
    if (name === undefined) throw 'missing "name"';
    if (name === "") throw 'empty "name"';
    const sockaddrText = found.get("sockaddr");
    const sockaddr = sockaddrText === undefined ? null : parseUdpAddress(sockaddrText);
    const workers = count(found, "workers", 1, MAX_WORKERS) || 1;
    if (sockaddr !== null && workers > 1) throw "a sockaddr task has exactly one worker";
    const backoffMs = count(found, "backoff", 100, MAX_MS, " (ms)", 1);
    return {
      name,
      waitUs: count(found, "wait", 0, MAX_WAIT_US, " (microseconds)"),
      workers,
      restart: restartPolicy(found),
      backoffMs,
      backoffMaxMs: count(
        found,
        "backoff_max",
        Math.max(30_000, backoffMs),
        MAX_MS,
        " (ms)",
        backoffMs,
      ),
      maxRestarts: count(found, "max_restarts", 5, 1_000_000),
      restartWindowMs: count(found, "restart_window", 60_000, MAX_MS, " (ms)", 1),
      sockaddr,
      spec,
    };
  } catch (problem) {
    if (typeof problem === "string") throw new ExecSpecError(spec, problem);
    throw problem;
  }
}
