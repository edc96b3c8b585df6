/**
 * Every default of a host option and of an exec spec's keys, in one place:
 * `startHost` applies them (`resolveHostOptions`), the exec spec's reader
 * too, the command line's `--help` shows them, and the client finds the
 * socket with the same rule.
 *
 * @module
 */

import { getHeapStatistics } from "node:v8";
import type { HostLogLevel, LogFormat } from "../base/log.ts";
import { readEnv } from "../base/env.ts";

const MIB = 1024 * 1024;

/** The defaults that are plain values. */
export const DEFAULTS = {
  /** Mode of the socket file. */
  socketMode: 0o600,
  /** Lowest level logged. */
  logLevel: "info" as HostLogLevel,
  /** How log records are written. */
  logFormat: "text" as LogFormat,
  /** Warm workers in the RPC pool. */
  rpcWorkers: 2,
  /** Calls that may wait for a pool worker. */
  rpcQueue: 1000,
  /** Longest run of one RPC call, in ms. */
  rpcTimeoutMs: 30_000,
  /** How long a graceful stop waits, in ms. */
  shutdownTimeoutMs: 5000,
  /** Connections served at once. */
  maxConnections: 512,
  /** A connection without progress for this long is closed, in ms. */
  idleTimeoutMs: 120_000,
  /** Requests one JSON-RPC batch may hold; a longer batch is one -32600 answer. */
  maxBatch: 1000,
  /** Heap cap of a worker without `heap=`, in MiB. */
  workerHeapMiB: 256,
  /** Count statistics. */
  stats: true,
  /** Type-check the script before start-up and each reload. */
  check: false,
  /** Reload when a file of the script's module graph changes. */
  watch: false,
  /** The log file rotates before it would grow past this many bytes. */
  logFileMaxBytes: 10 * MIB,
  /** Rotated log files kept. */
  logFileKeep: 5,
} as const;

/** The defaults of an exec spec's keys (the README's table of keys shows them). */
export const EXEC_DEFAULTS = {
  /** Microseconds each worker waits before it calls the function. */
  waitUs: 0,
  /** Workers of a task (`workers=0` means 1 too). */
  workers: 1,
  /** When a worker whose function ended is restarted. */
  restart: "no",
  /** First delay before a restart, in ms. */
  backoffMs: 100,
  /** Longest delay before a restart, in ms (at least `backoff`). */
  backoffMaxMs: 30_000,
  /** Restarts within the window before the task is marked failed. */
  maxRestarts: 5,
  /** The crash-loop window, in ms. */
  restartWindowMs: 60_000,
} as const;

/** The defaults of the fleet (`--cluster`) and of a singleton task's keys. */
export const FLEET_DEFAULTS = {
  /** `--cluster-schema`: the PostgreSQL schema of the fleet's tables. */
  schema: "evrexec",
  /** `lease=`: how long a vanished holder keeps a singleton task, in ms. */
  leaseMs: 10_000,
  /** `catchup=`: fires missed while no host ran the task are skipped. */
  catchUp: "skip",
  /** `catchup_window=`: only missed fires at most this old are caught up, in ms (1 h). */
  catchUpWindowMs: 3_600_000,
  /** A node's heartbeat, in ms. */
  heartbeatMs: 2_000,
  /** A node's registration lasts this long without a heartbeat, in ms. */
  nodeTtlMs: 10_000,
  /** A submitted call's lease while it runs (renewed every third), in ms. */
  jobLeaseMs: 10_000,
  /** How often a host looks for submitted calls when no notification came, in ms. */
  jobPollMs: 2_000,
  /** How often a host prunes old rows (fires, finished calls, gone nodes), in ms: hourly. */
  pruneEveryMs: 3_600_000,
  /** Fires and finished calls are kept this long, in ms: one day. */
  keepRowsMs: 86_400_000,
  /** Rows of nodes gone are kept this long, in ms: seven days. */
  keepNodesMs: 7 * 86_400_000,
} as const;

/** The environment variable that sets `--cluster` when the flag and the file do not. */
export const CLUSTER_ENV = "EVREXEC_CLUSTER";

/** The environment variable that sets the socket for host and client. */
export const SOCKET_ENV = "EVREXEC_SOCKET";

/**
 * The socket path when none is given: `$EVREXEC_SOCKET`, else
 * `$XDG_RUNTIME_DIR/evrexec.sock`, else `/tmp/evrexec.sock`.
 *
 * @returns The path, read from the environment now.
 * @throws {ConfigError} When Deno may not read `EVREXEC_SOCKET` (or, with it unset,
 *   `XDG_RUNTIME_DIR`): never a silent fall-back to the shared `/tmp` path.
 */
export function defaultSocketPath(): string {
  const instead = "give --socket PATH";
  const socket = readEnv(SOCKET_ENV, instead);
  if (socket !== undefined) return socket;
  const runtimeDir = readEnv("XDG_RUNTIME_DIR", instead);
  return runtimeDir ? `${runtimeDir}/evrexec.sock` : "/tmp/evrexec.sock";
}

/** Where a systemd service's socket is (`RuntimeDirectory=evrexec`), as `evrexec init`'s unit puts it. */
export const SERVICE_SOCKET = "/run/evrexec/evrexec.sock";

/**
 * Where a client looks for a host when given no socket, in order:
 * `$EVREXEC_SOCKET` alone when it is set; else the host's own default
 * (`$XDG_RUNTIME_DIR/evrexec.sock`), the service's
 * ({@link SERVICE_SOCKET}) and `/tmp/evrexec.sock`. The client calls the
 * first that is a socket.
 *
 * @returns The paths, read from the environment now, without duplicates.
 * @throws {ConfigError} When Deno may not read `EVREXEC_SOCKET` (or, with it unset,
 *   `XDG_RUNTIME_DIR`).
 */
export function clientSocketCandidates(): string[] {
  const instead = "give --socket PATH";
  const given = readEnv(SOCKET_ENV, instead);
  if (given !== undefined) return [given];
  const runtimeDir = readEnv("XDG_RUNTIME_DIR", instead);
  const paths = [
    ...(runtimeDir ? [`${runtimeDir}/evrexec.sock`] : []),
    SERVICE_SOCKET,
    "/tmp/evrexec.sock",
  ];
  return [...new Set(paths)];
}

/**
 * The default `--memory-limit`: three quarters of one isolate's heap limit.
 *
 * @returns The limit in MiB.
 */
export function defaultMemoryLimitMiB(): number {
  return Math.floor(getHeapStatistics().heap_size_limit * 0.75 / MIB);
}

/**
 * The default `--max-stuck`: half the CPU cores, at least 2, so that one
 * stuck RPC function leaves the pool serving (it closes at the bound).
 *
 * @returns How many workers stuck in synchronous code a host tolerates.
 */
export function defaultMaxStuck(): number {
  return Math.max(2, Math.floor(navigator.hardwareConcurrency / 2));
}
