/**
 * What a host is told: {@link HostOptions}, every one but the script
 * optional with its `@default` (the values live in `defaults.ts`), resolved
 * into a {@link HostConfig} where each has its value. `startHost` and the
 * command line both go through {@link resolveHostOptions}, so a default is
 * applied in one place only.
 *
 * @module
 */

import { ConfigError, type FatalError } from "../base/errors.ts";
import { quoteValue } from "../shared/quote.ts";
import type { HostPort } from "../base/host_port.ts";
import type { HostLogLevel, LogFormat } from "../base/log.ts";
import type { LogFileOptions } from "../base/log_file.ts";
import { defaultMaxStuck, defaultMemoryLimitMiB, DEFAULTS, defaultSocketPath } from "./defaults.ts";
import type { DgramAddress } from "./dgram_address.ts";
import type { CtlAddress } from "./ctl_address.ts";
import { checkUniqueNames, type ExecTask } from "./exec_spec.ts";
import type { SandboxSpec } from "./sandbox.ts";

/** What a host is told; everything but the script has a default. */
export interface HostOptions {
  /** URL of the KEMI script (`file:` URL). */
  readonly scriptUrl: string;
  /**
   * The exec tasks, in the order given (`parseExecSpec` makes one); two may
   * not share a name.
   *
   * @default {[]}
   */
  readonly tasks?: readonly ExecTask[];
  /**
   * Path of the RPC socket.
   *
   * @default {`$EVREXEC_SOCKET`, else `$XDG_RUNTIME_DIR/evrexec.sock`, else `/tmp/evrexec.sock`}
   */
  readonly socket?: string;
  /**
   * Mode of the socket file.
   *
   * @default {0o600}
   */
  readonly socketMode?: number;
  /**
   * Lowest level logged.
   *
   * @default {"info"}
   */
  readonly logLevel?: HostLogLevel;
  /**
   * Warm workers in the RPC pool.
   *
   * @default {2}
   */
  readonly rpcWorkers?: number;
  /**
   * Calls that may wait for a pool worker; more are refused "busy".
   *
   * @default {1000}
   */
  readonly rpcQueue?: number;
  /**
   * Longest run of one RPC call, in milliseconds.
   *
   * @default {30000}
   */
  readonly rpcTimeoutMs?: number;
  /**
   * How long a graceful stop waits for running calls and loops, in milliseconds.
   *
   * @default {5000}
   */
  readonly shutdownTimeoutMs?: number;
  /**
   * RSS in MiB past which the memory watchdog stops the biggest worker; 0 turns it off.
   *
   * @default {three quarters of one isolate's heap limit}
   */
  readonly memoryLimitMiB?: number;
  /**
   * Connections served at once; more are refused.
   *
   * @default {512}
   */
  readonly maxConnections?: number;
  /**
   * A connection without any progress for this long is closed, in milliseconds.
   *
   * @default {120000}
   */
  readonly idleTimeoutMs?: number;
  /**
   * Requests one JSON-RPC batch may hold; a longer batch is answered with one
   * -32600 error and none of it runs.
   *
   * @default {1000}
   */
  readonly maxBatch?: number;
  /**
   * Type-check the script (`deno check`) before start-up and before each reload.
   *
   * @default {false}
   */
  readonly check?: boolean;
  /**
   * Reload when a file of the script's module graph changes.
   *
   * @default {false}
   */
  readonly watch?: boolean;
  /**
   * Workers stuck in synchronous code tolerated; one more is fatal (see `onFatal`).
   *
   * @default {half the CPU cores, at least 2}
   */
  readonly maxStuck?: number;
  /**
   * Where datagram JSON-RPC is served (`--rpc-dgram`), Kamailio's jsonrpcs way.
   *
   * @default {[]}
   */
  readonly rpcDgram?: readonly DgramAddress[];
  /**
   * Where Kamailio's BINRPC is served (`--rpc-ctl`), the ctl module's way (kamcmd).
   *
   * @default {[]}
   */
  readonly rpcCtl?: readonly CtlAddress[];
  /**
   * The FIFO where Kamailio's jsonrpcs FIFO transport is served (`--rpc-fifo`,
   * kamctl); none when unset. It is made with `socketMode`.
   */
  readonly rpcFifo?: string;
  /** Where `/metrics` and `/healthz` are served (`--metrics`); nowhere when unset. */
  readonly metrics?: HostPort;
  /**
   * Count statistics (`--stats off`: the hooks are left out).
   *
   * @default {true}
   */
  readonly stats?: boolean;
  /**
   * Heap cap of every worker without `heap=`, in MiB; 0: none (Web Workers).
   *
   * @default {256}
   */
  readonly workerHeapMiB?: number;
  /** The RPC pool's isolation, heap cap and permissions (`--rpc-pool`); unset: threads, the host's. */
  readonly rpcSandbox?: SandboxSpec;
  /**
   * How log records are written; read by `setupLogging`, not the host.
   *
   * @default {"text"}
   */
  readonly logFormat?: LogFormat;
  /** Where the log goes instead of stderr, and its rotation; read by `setupLogging`. */
  readonly logFile?: LogFileOptions;
  /** The `--config` file the options came from, if any. */
  readonly configFile?: string;
  /**
   * The fleet's PostgreSQL URL (`--cluster`, `postgres://…`); unset: the host
   * is alone and nothing connects.
   */
  readonly cluster?: string;
  /** This host's name in the fleet (`--node`); unset: the machine's host name. */
  readonly node?: string;
  /**
   * The PostgreSQL schema of the fleet's tables (`--cluster-schema`).
   *
   * @default {"evrexec"}
   */
  readonly clusterSchema?: string;
  /**
   * Told of a condition the host cannot live on with (more workers stuck
   * than `maxStuck`, memory the watchdog cannot win back), once the host has
   * stopped every worker; the caller decides what follows (the command line
   * exits 1, for the service manager to restart it).
   *
   * @default {none: the host logs the condition at fatal level and stays stopped}
   */
  readonly onFatal?: (error: FatalError) => void;
}

/** Options that stay unset when not given: each means "none". */
export type UnsetOption =
  | "metrics"
  | "rpcSandbox"
  | "logFile"
  | "configFile"
  | "rpcFifo"
  | "cluster"
  | "node"
  | "clusterSchema";

/** Every host option with its value (defaults applied), the fatal handler aside. */
export type HostConfig =
  & {
    readonly [K in Exclude<keyof HostOptions, UnsetOption | "onFatal">]-?: NonNullable<
      HostOptions[K]
    >;
  }
  & { readonly [K in UnsetOption]?: HostOptions[K] };

/**
 * Applies every default to `options`.
 *
 * @param options What the host is told.
 * @returns The configuration the host runs with.
 * @throws {ConfigError} When two tasks share a name, or a task is a
 * singleton without a fleet (`cluster`).
 */
export function resolveHostOptions(options: HostOptions): HostConfig {
  const tasks = options.tasks ?? [];
  checkUniqueNames(tasks.map((task) => ({ task })));
  const singleton = tasks.find((task) => task.fleet !== undefined);
  if (singleton !== undefined && !options.cluster) {
    throw new ConfigError(
      `exec task ${quoteValue(singleton.name)}: singleton=cluster needs a fleet: ` +
        `give --cluster postgres://… (or "cluster" in the config file, or $EVREXEC_CLUSTER)`,
    );
  }
  return {
    scriptUrl: options.scriptUrl,
    tasks,
    socket: options.socket ?? defaultSocketPath(),
    socketMode: options.socketMode ?? DEFAULTS.socketMode,
    logLevel: options.logLevel ?? DEFAULTS.logLevel,
    rpcWorkers: options.rpcWorkers ?? DEFAULTS.rpcWorkers,
    rpcQueue: options.rpcQueue ?? DEFAULTS.rpcQueue,
    rpcTimeoutMs: options.rpcTimeoutMs ?? DEFAULTS.rpcTimeoutMs,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs,
    memoryLimitMiB: options.memoryLimitMiB ?? defaultMemoryLimitMiB(),
    maxConnections: options.maxConnections ?? DEFAULTS.maxConnections,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
    maxBatch: options.maxBatch ?? DEFAULTS.maxBatch,
    check: options.check ?? DEFAULTS.check,
    watch: options.watch ?? DEFAULTS.watch,
    maxStuck: options.maxStuck ?? defaultMaxStuck(),
    rpcDgram: options.rpcDgram ?? [],
    rpcCtl: options.rpcCtl ?? [],
    stats: options.stats ?? DEFAULTS.stats,
    workerHeapMiB: options.workerHeapMiB ?? DEFAULTS.workerHeapMiB,
    logFormat: options.logFormat ?? DEFAULTS.logFormat,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.rpcFifo ? { rpcFifo: options.rpcFifo } : {}),
    ...(options.rpcSandbox ? { rpcSandbox: options.rpcSandbox } : {}),
    ...(options.logFile ? { logFile: options.logFile } : {}),
    ...(options.configFile ? { configFile: options.configFile } : {}),
    ...(options.cluster ? { cluster: options.cluster } : {}),
    ...(options.node ? { node: options.node } : {}),
    ...(options.clusterSchema ? { clusterSchema: options.clusterSchema } : {}),
  };
}

/**
 * The options a reload applies from a re-read config file; any other that
 * changed needs a restart (the reload says so). The pool is replaced on
 * every reload, so its settings apply; the grace is read at each stop.
 */
export const RELOADED_FIELDS = [
  "tasks",
  "rpcWorkers",
  "rpcSandbox",
  "rpcQueue",
  "rpcTimeoutMs",
  "shutdownTimeoutMs",
] as const satisfies readonly (keyof HostConfig)[];

/**
 * Reads the configuration again for a reload (a `--config` file and the same
 * flags): the new configuration, and the options changed that need a
 * restart. Throws a `ConfigError` naming the mistake.
 */
export type ConfigSource = () => {
  readonly config: HostConfig;
  readonly needsRestart: readonly string[];
};
