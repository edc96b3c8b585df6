/**
 * The exec spec: `name=<fn>;wait=<microseconds>;workers=<N>`, parsed with
 * Kamailio's evrexec rules, stricter where Kamailio is lax.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";

/** The most workers one task may ask for. */
export const MAX_WORKERS = 1024;
/** The longest start delay, in microseconds: one day. */
export const MAX_WAIT_US = 86_400_000_000;

/** One exec task, as the exec spec describes it. */
export interface ExecTask {
  /** The exported function the task's workers call. */
  readonly name: string;
  /** Microseconds each worker waits before it calls the function. */
  readonly waitUs: number;
  /** How many dedicated workers the task gets (at least 1). */
  readonly workers: number;
  /** The spec text as the user gave it. */
  readonly spec: string;
}

/** The keys an exec spec may hold, in the order the docs list them. */
export const SPEC_KEYS = ["name", "wait", "workers"] as const;
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

function parseCount(key: string, value: string, max: number, unit: string): number {
  if (!/^[0-9]+$/.test(value)) {
    throw `${key} must be a non-negative integer${unit}, got ${JSON.stringify(value)}`;
  }
  const n = Number(value);
  if (n > max) throw `${key} must be at most ${max}${unit}, got ${value}`;
  return n;
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
    const key = item.slice(0, eq).trim().toLowerCase();
    if (!(SPEC_KEYS as readonly string[]).includes(key)) {
      throw `unknown key ${JSON.stringify(key)} (expected ${SPEC_KEYS.join(", ")})`;
    }
    if (found.has(key as SpecKey)) throw `key "${key}" given twice`;
    found.set(key as SpecKey, unquote(item.slice(eq + 1).trim()));
  }
  return found;
}

/**
 * Parses one exec spec. Throws {@link ExecSpecError} naming the bad part.
 *
 * @example
 * ```ts
 * import { parseExecSpec } from "./exec_spec.ts";
 * parseExecSpec("name=evrexec:timer;wait=1000;workers=1");
 * // { name: "evrexec:timer", waitUs: 1000, workers: 1, spec: "…" }
 * ```
 */
export function parseExecSpec(spec: string): ExecTask {
  if (spec.trim() === "") throw new ExecSpecError(spec, "empty spec");
  try {
    const found = items(spec);
    const name = found.get("name");
    if (name === undefined) throw 'missing "name"';
    if (name === "") throw 'empty "name"';
    const wait = found.get("wait");
    const workers = found.get("workers");
    return {
      name,
      waitUs: wait === undefined ? 0 : parseCount("wait", wait, MAX_WAIT_US, " (microseconds)"),
      workers: workers === undefined ? 1 : parseCount("workers", workers, MAX_WORKERS, "") || 1,
      spec,
    };
  } catch (problem) {
    if (typeof problem === "string") throw new ExecSpecError(spec, problem);
    throw problem;
  }
}
