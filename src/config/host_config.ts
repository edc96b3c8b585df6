/**
 * Everything the host needs to run, validated: what the command line (or a
 * library caller) hands to the host.
 *
 * @module
 */

import type { ExecTask } from "./exec_spec.ts";
import type { HostLogLevel, LogFormat } from "../base/log.ts";
import type { LogFileOptions } from "../base/log_file.ts";
import type { DgramAddress } from "./dgram_address.ts";
import type { HostPort } from "../base/host_port.ts";
import type { SandboxSpec } from "./sandbox.ts";

/** Everything the host needs to run, validated. */
export interface HostConfig {
  /** URL of the KEMI script. */
  readonly scriptUrl: string;
  /** The exec tasks, in the order given. */
  readonly tasks: readonly ExecTask[];
  /** Path of the RPC socket. */
  readonly socket: string;
  /** Mode of the socket file. */
  readonly socketMode: number;
  /** Lowest level logged. */
  readonly logLevel: HostLogLevel;
  /** Warm workers in the RPC pool. */
  readonly rpcWorkers: number;
  /** Calls that may wait for a pool worker. */
  readonly rpcQueue: number;
  /** Longest run of one RPC call, in milliseconds. */
  readonly rpcTimeoutMs: number;
  /** How long a graceful stop waits for running calls and loops, in milliseconds. */
  readonly shutdownTimeoutMs: number;
  /** RSS in MiB past which the memory watchdog stops the biggest worker; 0 turns it off. */
  readonly memoryLimitMiB: number;
  /** Connections served at once; more are refused. */
  readonly maxConnections: number;
  /** A connection without any progress for this long is closed, in milliseconds. */
  readonly idleTimeoutMs: number;
  /** Type-check the script (`deno check`) before start-up and before each reload. */
  readonly check?: boolean;
  /** Reload when a file of the script's module graph changes. */
  readonly watch?: boolean;
  /**
   * Workers stuck in synchronous code tolerated; one more and the host exits 1
   * (default: half the CPU cores, at least 2).
   */
  readonly maxStuck?: number;
  /** Where datagram JSON-RPC is served (`--rpc-dgram`), Kamailio's jsonrpcs way. */
  readonly rpcDgram?: readonly DgramAddress[];
  /** Where `/metrics` and `/healthz` are served (`--metrics`); nowhere when unset. */
  readonly metrics?: HostPort;
  /** Count statistics (default true; `--stats off`: the hooks are left out). */
  readonly stats?: boolean;
  /** Heap cap of every worker without `heap=`, in MiB; 0: none (`--worker-heap`, default 256). */
  readonly workerHeapMiB?: number;
  /** The RPC pool's isolation, heap cap and permissions (`--rpc-pool`). */
  readonly rpcSandbox?: SandboxSpec;
  /** How log records are written (default `text`); read by `setupLogging`, not the host. */
  readonly logFormat?: LogFormat;
  /** Where the log goes instead of stderr, and its rotation; read by `setupLogging`. */
  readonly logFile?: LogFileOptions;
  /** The `--config` file the options came from, if any. */
  readonly configFile?: string;
}

/**
 * The options a reload applies from a re-read config file; any other that
 * changed needs a restart (the reload says so). The pool is replaced on
 * every reload, so its settings apply; the grace is read at each stop.
 */
export const RELOADED_FIELDS: readonly (keyof HostConfig)[] = [
  "tasks",
  "rpcWorkers",
  "rpcSandbox",
  "rpcQueue",
  "rpcTimeoutMs",
  "shutdownTimeoutMs",
];

/**
 * Reads the configuration again for a reload (a `--config` file and the same
 * flags): the new configuration, and the options changed that need a
 * restart. Throws a `ConfigError` naming the mistake.
 */
export type ConfigSource = () => {
  readonly config: HostConfig;
  readonly needsRestart: readonly string[];
};
