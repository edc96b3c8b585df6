/**
 * Every option of the host in one table: its flag, its line in `--help`
 * (with its default, read from `config/defaults.ts`), its key and JSON type
 * in a `--config` file, and how its value is read into the
 * {@link HostOptions}. Adding an option is adding one entry.
 *
 * @module
 */

import { resolve } from "node:path";
import type { HostOptions } from "../config/host_config.ts";
import { DEFAULTS } from "../config/defaults.ts";
import { LOG_FORMATS, LOG_LEVELS } from "../base/log.ts";
import { ConfigError } from "../base/errors.ts";
import { dgramOption, metricsOption } from "./listen_options.ts";
import { logFileOption, readSize, sizeText } from "./log_options.ts";
import {
  choiceOption,
  integer,
  intOption,
  modeOption,
  type RawValue,
  type RawValues,
  text,
} from "./option_values.ts";
import { MAX_POOL_WORKERS, parsePoolSpec, poolSize, type PoolSpec } from "../config/pool_spec.ts";
import { readHeap } from "../config/sandbox.ts";
import { parseCtlAddresses } from "../config/ctl_address.ts";
import { CLUSTER_ENV, FLEET_DEFAULTS } from "../config/defaults.ts";
import { readEnv } from "../base/env.ts";
import { readClusterUrl } from "../cluster/cluster_url.ts";
import { readNodeName } from "../cluster/node_identity.ts";
import { schemaNames } from "../cluster/schema_name.ts";

/**
 * Documented variables the options could not read for want of Deno's
 * permission, where that is not an error (`EVREXEC_CLUSTER`: a host without
 * it runs alone); the command line warns of each once logging is set up.
 */
export const UNREAD_ENV: string[] = [];

/**
 * `$EVREXEC_CLUSTER`, or undefined. Without Deno's permission to read it the
 * host runs alone and says so (see {@link UNREAD_ENV}): a host meant for a
 * fleet that ran alone would run its singletons beside the fleet's.
 */
function clusterFromEnv(): string | undefined {
  if (Deno.permissions.querySync({ name: "env", variable: CLUSTER_ENV }).state !== "granted") {
    if (!UNREAD_ENV.includes(CLUSTER_ENV)) UNREAD_ENV.push(CLUSTER_ENV);
    return undefined;
  }
  return readEnv(CLUSTER_ENV);
}

export type { RawValue, RawValues } from "./option_values.ts";

/**
 * How an option is written: `value` takes one value, `list` one value each
 * time it is given, `switch` none.
 */
export type OptionKind = "value" | "list" | "switch";

/** The fields of {@link HostOptions} that options set: all but those read on their own. */
export type OptionField = Exclude<
  keyof HostOptions,
  "scriptUrl" | "tasks" | "configFile" | "onFatal"
>;

/** One option of the host. */
export interface HostOption<F extends OptionField = OptionField> {
  /** The long name: `--NAME` on the command line, `"NAME"` in a config file. */
  readonly name: string;
  /** The one-letter flag, if any. */
  readonly short?: string;
  /** Whether it takes a value, a value per use, or none. */
  readonly kind: OptionKind;
  /** The value's name in `--help` (`N`, `MS`, `PATH`). */
  readonly arg?: string;
  /** Its lines in `--help`: what it does and its default. */
  readonly help: readonly string[];
  /**
   * The JSON type its key takes in a config file (`number` for integers;
   * switches are booleans, lists arrays of strings); `none`: command line only.
   */
  readonly json?: "number" | "string" | "none";
  /** A path is relative to the config file's directory when given there. */
  readonly fileRelative?: (value: string, dir: string) => string;
  /** The option field it sets; none when another option's reader reads it. */
  readonly field?: F;
  /**
   * Reads its raw value (`label` names it in errors; `all` holds every
   * option's); undefined when it is not given, for the default to apply.
   */
  readonly read?: (value: RawValue, label: string, all: RawValues) => HostOptions[F];
  /** Checks the value of an option without a field of its own (another's reader reads it). */
  readonly check?: (value: string, label: string) => void;
}

/** An entry of the table, typed by the option field it sets. */
export function option<F extends OptionField>(spec: HostOption<F>): HostOption<F> {
  return spec;
}

/** Reads `--rpc-fifo PATH`; undefined when not given. */
function fifoOption(value: string | undefined, label: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === "") throw new ConfigError(`${label} needs a PATH`);
  return value;
}

/** A path given in the config file is relative to the file's directory. */
function nearFile(value: string, dir: string): string {
  return value === "" ? value : resolve(dir, value);
}

/**
 * What `--rpc-pool` says, for `--rpc-workers`' reader: null when not given or
 * not valid (its own reader reports that, at its place in a config file).
 */
function poolSpec(all: RawValues): PoolSpec | null {
  const spec = text(all["rpc-pool"]);
  try {
    return spec === undefined ? null : parsePoolSpec(spec);
  } catch {
    return null;
  }
}

/** The table, each entry typed by its field (see {@link HOST_OPTIONS}). */
const TABLE = [
  option({
    name: "config",
    short: "c",
    kind: "value",
    arg: "FILE",
    help: ["options and tasks from a JSON-with-comments file; flags win over it"],
    json: "none",
  }),
  option({
    name: "exec",
    short: "e",
    kind: "list",
    arg: "SPEC",
    help: [
      "an exec task, name=<fn>;wait=<us>;workers=<N>; once per task",
      "(function=<fn>: the function to call when it is not the task's name)",
      "(timers: every=10s or cron=<expr>;tz=<zone>; overlap=skip|queue)",
      "(sandbox: isolation=thread|process|shared;group=NAME;heap=MIB;allow-*=…)",
    ],
    json: "none", // the file's "tasks"
  }),
  option({
    name: "socket",
    short: "s",
    kind: "value",
    arg: "PATH",
    help: [
      "the RPC socket (default: $EVREXEC_SOCKET, else",
      "$XDG_RUNTIME_DIR/evrexec.sock, else /tmp/evrexec.sock;",
      "reading them needs Deno's --allow-env)",
    ],
    fileRelative: nearFile,
    field: "socket",
    read(value, label) {
      const socket = text(value);
      if (socket === "") throw new ConfigError(`${label} must not be empty`);
      return socket;
    },
  }),
  option({
    name: "socket-mode",
    kind: "value",
    arg: "MODE",
    help: [`the socket file's mode, in octal (default 0${DEFAULTS.socketMode.toString(8)})`],
    field: "socketMode",
    read: (value, label) => modeOption(label, text(value)),
  }),
  option({
    name: "rpc-workers",
    kind: "value",
    arg: "N",
    help: [`warm workers for evrexec.run (default ${DEFAULTS.rpcWorkers})`],
    json: "number",
    field: "rpcWorkers",
    read: (value, label, all) =>
      poolSize(
        intOption(label, text(value), 1, MAX_POOL_WORKERS),
        poolSpec(all),
      ),
  }),
  option({
    name: "rpc-pool",
    kind: "value",
    arg: "SPEC",
    help: ["the RPC pool as a spec: workers=N;isolation=…;heap=…;allow-*=…"],
    field: "rpcSandbox",
    read: (value, label) =>
      text(value) === undefined ? undefined : parsePoolSpec(text(value)!, label).sandbox,
  }),
  option({
    name: "worker-heap",
    kind: "value",
    arg: "MIB",
    help: [
      `heap cap of each worker without heap= (default ${DEFAULTS.workerHeapMiB}; 0: none, Web Workers)`,
    ],
    json: "number",
    field: "workerHeapMiB",
    read: (value, label) => value === undefined ? undefined : readHeap(label, String(value).trim()),
  }),
  option({
    name: "rpc-queue",
    kind: "value",
    arg: "N",
    help: [`calls that may wait for a worker (default ${DEFAULTS.rpcQueue})`],
    json: "number",
    field: "rpcQueue",
    read: integer(0, 1_000_000),
  }),
  option({
    name: "rpc-timeout",
    kind: "value",
    arg: "MS",
    help: [`longest evrexec.run, in milliseconds (default ${DEFAULTS.rpcTimeoutMs})`],
    json: "number",
    field: "rpcTimeoutMs",
    read: integer(1, 86_400_000),
  }),
  option({
    name: "shutdown-timeout",
    kind: "value",
    arg: "MS",
    help: [
      `grace for running calls and KSR.shutdown loops (default ${DEFAULTS.shutdownTimeoutMs})`,
    ],
    json: "number",
    field: "shutdownTimeoutMs",
    read: integer(0, 3_600_000),
  }),
  option({
    name: "memory-limit",
    kind: "value",
    arg: "MIB",
    help: [
      "RSS past which the biggest worker is stopped (default: 3/4 of",
      "one isolate's heap limit; 0 turns the watchdog off)",
    ],
    json: "number",
    field: "memoryLimitMiB",
    read: integer(0, 1_048_576),
  }),
  option({
    name: "max-connections",
    kind: "value",
    arg: "N",
    help: [`RPC connections served at once (default ${DEFAULTS.maxConnections})`],
    json: "number",
    field: "maxConnections",
    read: integer(1, 100_000),
  }),
  option({
    name: "idle-timeout",
    kind: "value",
    arg: "MS",
    help: [
      `close a connection without progress for this long (default ${DEFAULTS.idleTimeoutMs})`,
    ],
    json: "number",
    field: "idleTimeoutMs",
    read: integer(100, 86_400_000),
  }),
  option({
    name: "max-batch",
    kind: "value",
    arg: "N",
    help: [`requests one JSON-RPC batch may hold (default ${DEFAULTS.maxBatch})`],
    json: "number",
    field: "maxBatch",
    read: integer(1, 100_000),
  }),
  option({
    name: "max-stuck",
    kind: "value",
    arg: "N",
    help: [
      "workers stuck in synchronous code tolerated; one more and the",
      "host exits 1 (default: half the CPU cores, at least 2); at the",
      "bound the RPC pool refuses every call instead",
    ],
    json: "number",
    field: "maxStuck",
    read: integer(0, 1024),
  }),
  option({
    name: "rpc-dgram",
    kind: "list",
    arg: "ADDR",
    help: [
      "also serve JSON-RPC on datagrams, as Kamailio's jsonrpcs does (kamcli):",
      "unix:PATH (needs deno --unstable-net) or udp:HOST:PORT; repeatable",
    ],
    fileRelative: (value, dir) =>
      /^unix:./i.test(value) ? `${value.slice(0, 5)}${resolve(dir, value.slice(5))}` : value,
    field: "rpcDgram",
    read: (value, _label, all) =>
      dgramOption(value as readonly string[] | undefined, all["rpc-dgram-public"] === true),
  }),
  option({
    name: "rpc-dgram-public",
    kind: "switch",
    help: ["allow a non-loopback udp: address (the transport has no authentication)"],
  }),
  option({
    name: "rpc-ctl",
    kind: "list",
    arg: "ADDR",
    help: [
      "also serve Kamailio's BINRPC, as its ctl module does (kamcmd -s ADDR):",
      "unix:PATH, tcp:HOST:PORT or udp:HOST:PORT (loopback only); repeatable",
    ],
    fileRelative: (value, dir) => {
      const unix = /^unixs?:(?=.)/i.exec(value);
      return unix ? `${unix[0]}${resolve(dir, value.slice(unix[0].length))}` : value;
    },
    field: "rpcCtl",
    read: (value) =>
      value === undefined ? undefined : parseCtlAddresses(value as readonly string[]),
  }),
  option({
    name: "rpc-fifo",
    kind: "value",
    arg: "PATH",
    help: [
      "also serve JSON-RPC on a FIFO made at PATH (mode --socket-mode), as",
      "Kamailio's jsonrpcs does (kamctl rpc); needs deno --allow-run=mkfifo",
    ],
    fileRelative: nearFile,
    field: "rpcFifo",
    read: (value, label) => fifoOption(text(value), label),
  }),
  option({
    name: "metrics",
    kind: "value",
    arg: "HOST:PORT",
    help: [
      "serve GET /metrics (Prometheus), GET /healthz and a live status page (GET /) there (loopback only)",
    ],
    field: "metrics",
    read: (value, _label, all) => metricsOption(text(value), all["metrics-public"] === true),
  }),
  option({
    name: "metrics-public",
    kind: "switch",
    help: ["allow a non-loopback --metrics address"],
  }),
  option({
    name: "stats",
    kind: "value",
    arg: "on|off",
    help: [`count statistics for stats.* and /metrics (default ${DEFAULTS.stats ? "on" : "off"})`],
    field: "stats",
    read(value, label) {
      const choice = choiceOption(label, text(value), ["on", "off"]);
      return choice === undefined ? undefined : choice === "on";
    },
  }),
  option({
    name: "log-level",
    short: "l",
    kind: "value",
    arg: "LEVEL",
    help: [`${LOG_LEVELS.join(" | ")} (default ${DEFAULTS.logLevel})`],
    field: "logLevel",
    read: (value, label) => choiceOption(label, text(value), LOG_LEVELS),
  }),
  option({
    name: "log-format",
    kind: "value",
    arg: "FMT",
    help: [`${LOG_FORMATS.join(" | ")} (default ${DEFAULTS.logFormat})`],
    field: "logFormat",
    read: (value, label) => choiceOption(label, text(value), LOG_FORMATS),
  }),
  option({
    name: "log-file",
    kind: "value",
    arg: "PATH",
    help: ["write the log to PATH, not stderr (SIGUSR2 reopens it; never a symlink)"],
    fileRelative: nearFile,
    field: "logFile",
    read: (value, label, all) => logFileOption(text(value), label, all),
  }),
  option({
    name: "log-max-size",
    kind: "value",
    arg: "SIZE",
    help: [
      `rotate --log-file before SIZE (10M, 512K; default ${
        sizeText(DEFAULTS.logFileMaxBytes)
      }; 0: never)`,
    ],
    check: (value, label) => void readSize(label, value),
  }),
  option({
    name: "log-keep",
    kind: "value",
    arg: "N",
    help: [`rotated files kept, PATH.1 (newest) to PATH.N (default ${DEFAULTS.logFileKeep})`],
    json: "number",
    check: (value, label) => void intOption(label, value, 0, 1000),
  }),
  option({
    name: "cluster",
    kind: "value",
    arg: "URL",
    help: [
      `join a fleet on PostgreSQL: postgres://user@host/db (also $${CLUSTER_ENV});`,
      "unset: the host is alone and nothing connects",
    ],
    field: "cluster",
    read(value, label) {
      const given = text(value) ?? clusterFromEnv();
      return given === undefined ? undefined : readClusterUrl(given.trim(), label);
    },
  }),
  option({
    name: "node",
    kind: "value",
    arg: "NAME",
    help: ["this host's name in the fleet, unique (default: the host name)"],
    field: "node",
    read(value, label) {
      const name = text(value);
      return name === undefined ? undefined : readNodeName(name.trim(), label);
    },
  }),
  option({
    name: "cluster-schema",
    kind: "value",
    arg: "ID",
    help: [`the fleet's PostgreSQL schema (default ${FLEET_DEFAULTS.schema})`],
    field: "clusterSchema",
    read(value, label) {
      const name = text(value);
      return name === undefined ? undefined : schemaNames(name.trim(), label).schema;
    },
  }),
  option({
    name: "watch",
    kind: "switch",
    help: ["reload when the script or a local file it imports changes"],
    field: "watch",
    read: (value) => value === true,
  }),
  option({
    name: "check",
    kind: "switch",
    help: ["type-check the script (deno check) at start and before each reload"],
    field: "check",
    read: (value) => value === true,
  }),
  option({ name: "help", short: "h", kind: "switch", help: ["this text"], json: "none" }),
  option({ name: "version", short: "V", kind: "switch", help: ["the version"], json: "none" }),
] as const;

/** The host's options, in the order `--help` lists them. */
export const HOST_OPTIONS: readonly HostOption[] = TABLE;

type Fields = NonNullable<typeof TABLE[number]["field"]>;
/** Compile-time check: every option field has its option. */
const _everyFieldRead: [Exclude<OptionField, Fields>] extends [never] ? true : never = true;
