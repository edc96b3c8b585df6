/**
 * The exec spec: `name=<fn>;wait=<microseconds>;workers=<N>` and this host's
 * supervision, UDP and schedule keys, parsed with Kamailio's evrexec rules, stricter
 * where Kamailio is lax.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { readChoice, readInteger } from "../base/values.ts";
import { parseUdpAddress, type UdpAddress } from "./udp_address.ts";
import { type Overlap, readSchedule, type Schedule } from "./schedule.ts";
import { readSandbox, SANDBOX_KEY_KINDS, SANDBOX_KEYS, type SandboxSpec } from "./sandbox.ts";
import { atKey, type KeyKind, type SpecItems, specItems, SpecKeyError } from "./spec_items.ts";
import { EXEC_DEFAULTS } from "./defaults.ts";
import { quoteValue } from "../shared/quote.ts";
import { type FleetTaskSpec, readFleetKeys } from "./fleet_keys.ts";

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
  /** The task's name: its identity in logs, RPC and reloads. */
  readonly name: string;
  /**
   * The exported function the task's workers call: `function=` when given,
   * else the name (as in Kamailio, where the name is the event route).
   */
  readonly function: string;
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
  /** For a timer task (`every=` or `cron=`), when its workers call the function; null otherwise. */
  readonly schedule: Schedule | null;
  /** A timer task's rule for a tick that falls while the previous call runs (default `skip`). */
  readonly overlap: Overlap;
  /** The spec text as the user gave it. */
  readonly spec: string;
  /** Isolation, heap cap and permissions (`isolation`, `heap`, `allow-*`); unset: none. */
  readonly sandbox?: SandboxSpec;
  /** `singleton=cluster` and its keys (`lease`, `catchup`, `catchup_window`); unset: not a singleton. */
  readonly fleet?: FleetTaskSpec;
}

/** The keys an exec spec may hold, in the order the docs list them. */
export const SPEC_KEYS = [
  "name",
  "function",
  "wait",
  "workers",
  "restart",
  "backoff",
  "backoff_max",
  "max_restarts",
  "restart_window",
  "sockaddr",
  "every",
  "cron",
  "tz",
  "overlap",
  "singleton",
  "lease",
  "catchup",
  "catchup_window",
  ...SANDBOX_KEYS,
] as const;
/** A key an exec spec may hold. */
export type SpecKey = typeof SPEC_KEYS[number];

/** What each key's value is (a config file's task object checks its JSON type by it). */
export const SPEC_KEY_KINDS = {
  name: "text",
  function: "text",
  wait: "integer",
  workers: "integer",
  restart: "text",
  backoff: "integer",
  backoff_max: "integer",
  max_restarts: "integer",
  restart_window: "integer",
  sockaddr: "text",
  every: "text",
  cron: "text",
  tz: "text",
  overlap: "text",
  singleton: "text",
  lease: "text",
  catchup: "text",
  catchup_window: "text",
  ...SANDBOX_KEY_KINDS,
} as const satisfies Record<SpecKey, KeyKind>;

/** The keys whose value is a whole number. */
type IntegerKey = {
  [K in SpecKey]: typeof SPEC_KEY_KINDS[K] extends "integer" ? K : never;
}[SpecKey];

/**
 * Error in an exec spec: the message quotes the spec and names the bad part;
 * `key` is the key it is about, when it is about one.
 */
export class ExecSpecError extends ConfigError {
  /**
   * Creates the error.
   *
   * @param spec The spec, as given.
   * @param problem What is wrong with it, in one line.
   * @param key The key the problem is about, when it is about one.
   */
  constructor(readonly spec: string, readonly problem: string, readonly key?: string) {
    super(`exec spec ${quoteValue(spec)}: ${problem}`);
    this.name = "ExecSpecError";
  }
}

/** Reads integer key `key` within `[min, max]`, or `fallback` when it is not given. */
function integer(
  items: SpecItems<SpecKey>,
  key: IntegerKey,
  fallback: number,
  min: number,
  max: number,
  unit = "",
): number {
  const value = items.get(key);
  return value === undefined ? fallback : atKey(key, () => readInteger(key, value, min, max, unit));
}

/**
 * Parses one exec spec, `key=value;…` text.
 *
 * @example
 * ```ts
 * import { parseExecSpec } from "./exec_spec.ts";
 * parseExecSpec("name=evrexec:timer;wait=1000;workers=1");
 * // { name: "evrexec:timer", waitUs: 1000, workers: 1, restart: "no", … }
 * ```
 *
 * @param spec The spec, as `--exec` takes it.
 * @returns The task it describes, its defaults applied.
 * @throws {ExecSpecError} Naming the bad part: an unknown key, a key given twice, a bad value.
 */
export function parseExecSpec(spec: string): ExecTask {
  if (spec.trim() === "") throw new ExecSpecError(spec, "empty spec");
  let items: SpecItems<SpecKey>;
  try {
    items = specItems(spec, SPEC_KEYS);
  } catch (error) {
    if (error instanceof ConfigError) throw new ExecSpecError(spec, error.message);
    throw error;
  }
  return readExecTask(items, spec);
}

/**
 * Reads an exec task from its items, however they were given (`key=value`
 * text, or a config file's object, key by key).
 *
 * @param items The values by key, each trimmed and unquoted.
 * @param spec The spec as people read it, for errors and `evrexec.list`.
 * @returns The task, its defaults applied.
 * @throws {ExecSpecError} Naming the bad value, and the key it is about when it is about one.
 */
export function readExecTask(items: SpecItems<SpecKey>, spec: string): ExecTask {
  try {
    const name = items.get("name");
    if (name === undefined) throw new ConfigError('missing "name"');
    if (name === "") throw new ConfigError('empty "name"');
    const fn = items.get("function") ?? name;
    if (fn === "") {
      throw new SpecKeyError(
        "function",
        'empty "function" (leave it out to call the function named by "name")',
      );
    }
    const sockaddrText = items.get("sockaddr");
    const sockaddr = sockaddrText === undefined
      ? null
      : atKey("sockaddr", () => parseUdpAddress(sockaddrText));
    const workers = integer(items, "workers", EXEC_DEFAULTS.workers, 0, MAX_WORKERS) || 1;
    if (sockaddr !== null && workers > 1) {
      throw new ConfigError("a sockaddr task has exactly one worker");
    }
    const backoffMs = integer(items, "backoff", EXEC_DEFAULTS.backoffMs, 1, MAX_MS, " (ms)");
    const timer = readSchedule({
      every: items.get("every"),
      cron: items.get("cron"),
      tz: items.get("tz"),
      overlap: items.get("overlap"),
      udp: sockaddr !== null,
    });
    const restart = items.get("restart") ?? EXEC_DEFAULTS.restart;
    const fleet = readFleetKeys({
      singleton: items.get("singleton"),
      lease: items.get("lease"),
      catchup: items.get("catchup"),
      catchupWindow: items.get("catchup_window"),
      scheduled: timer.schedule !== null,
      udp: sockaddr !== null,
    });
    return {
      name,
      function: fn,
      waitUs: integer(items, "wait", EXEC_DEFAULTS.waitUs, 0, MAX_WAIT_US, " (microseconds)"),
      workers,
      restart: atKey("restart", () => readChoice("restart", restart, RESTART_POLICIES)),
      backoffMs,
      backoffMaxMs: integer(
        items,
        "backoff_max",
        Math.max(EXEC_DEFAULTS.backoffMaxMs, backoffMs),
        backoffMs,
        MAX_MS,
        " (ms)",
      ),
      maxRestarts: integer(items, "max_restarts", EXEC_DEFAULTS.maxRestarts, 0, 1_000_000),
      restartWindowMs: integer(
        items,
        "restart_window",
        EXEC_DEFAULTS.restartWindowMs,
        1,
        MAX_MS,
        " (ms)",
      ),
      sockaddr,
      ...timer,
      spec,
      ...(SANDBOX_KEYS.some((key) => items.has(key)) ? { sandbox: readSandbox(items) } : {}),
      ...(fleet === null ? {} : { fleet }),
    };
  } catch (error) {
    if (error instanceof ConfigError && !(error instanceof ExecSpecError)) {
      const key = error instanceof SpecKeyError ? error.key : undefined;
      throw new ExecSpecError(spec, error.message, key);
    }
    throw error;
  }
}

/** An exec task and where it was given (`FILE:LINE:COL`, `--exec "…"`), for errors. */
export interface GivenTask {
  /** The task. */
  readonly task: ExecTask;
  /** Where it was given; unset for a task made in code. */
  readonly where?: string;
}

/**
 * Checks that no two tasks share a name (a task's name is its identity).
 *
 * @param tasks The tasks in the order given, each with where it was given.
 * @throws {ConfigError} At the second of two tasks of one name, naming where the first was.
 */
export function checkUniqueNames(tasks: readonly GivenTask[]): void {
  const first = new Map<string, GivenTask>();
  for (const given of tasks) {
    const earlier = first.get(given.task.name);
    if (earlier === undefined) {
      first.set(given.task.name, given);
      continue;
    }
    const at = given.where === undefined ? "" : `${given.where}: `;
    const before = earlier.where === undefined
      ? ""
      : earlier.where.startsWith("--exec")
      ? " (first by --exec)"
      : ` (first at ${earlier.where})`;
    throw new ConfigError(
      `${at}exec task ${quoteValue(given.task.name)} is given twice${before}; ` +
        "a task's name is its identity",
    );
  }
}
