/**
 * The host's arguments, parsed and validated into a {@link HostConfig}.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { HostConfig } from "../host/config.ts";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat } from "../host/log.ts";
import { defaultMemoryLimitMiB } from "../host/memory_watchdog.ts";
import { defaultMaxStuck } from "../host/worker_registry.ts";
import { DEFAULT_SOCKET_MODE, defaultSocketPath } from "../rpc/socket_file.ts";
import { ConfigError } from "../shared/errors.ts";
import { parseExecSpec } from "../tasks/spec.ts";
import { choiceOption, intOption, modeOption, parsingArgs } from "./option_values.ts";
import { resolveScript } from "./script_url.ts";
import { dgramOption, metricsOption } from "./listen_options.ts";
import { parsePoolSpec, poolSize } from "../pool/pool_spec.ts";
import { DEFAULT_WORKER_HEAP_MIB, readHeap } from "../tasks/sandbox.ts";

/** What the command line asks for. */
export type CliRequest =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "run"; readonly config: HostConfig; readonly logFormat: LogFormat };

/** Parses the host's arguments; throws a {@link ConfigError} on any mistake. */
export function parseCli(args: readonly string[]): CliRequest {
  const { values, positionals } = parsingArgs(() =>
    parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: {
        exec: { type: "string", short: "e", multiple: true },
        socket: { type: "string", short: "s" },
        "socket-mode": { type: "string" },
        "rpc-workers": { type: "string" },
        "rpc-queue": { type: "string" },
        "rpc-timeout": { type: "string" },
        "shutdown-timeout": { type: "string" },
        "memory-limit": { type: "string" },
        "max-connections": { type: "string" },
        "idle-timeout": { type: "string" },
        "max-stuck": { type: "string" },
        "log-level": { type: "string", short: "l" },
        "log-format": { type: "string" },
        watch: { type: "boolean" },
        check: { type: "boolean" },
        "rpc-dgram": { type: "string", multiple: true },
        "rpc-dgram-public": { type: "boolean" },
        metrics: { type: "string" },
        "metrics-public": { type: "boolean" },
        stats: { type: "string" },
        "worker-heap": { type: "string" },
        "rpc-pool": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    })
  );
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  if (positionals.length === 0) throw new ConfigError("missing SCRIPT (see --help)");
  if (positionals.length > 1) {
    throw new ConfigError(
      `expected one SCRIPT, got ${positionals.length}: ${positionals.join(" ")}`,
    );
  }
  const rpcPool = values["rpc-pool"] === undefined ? null : parsePoolSpec(values["rpc-pool"]);
  const rpcWorkers = values["rpc-workers"] === undefined
    ? undefined
    : intOption("--rpc-workers", values["rpc-workers"], 2, 1, 256);
  const config: HostConfig = {
    tasks: (values.exec ?? []).map(parseExecSpec),
    socket: values.socket ?? defaultSocketPath(),
    socketMode: modeOption("--socket-mode", values["socket-mode"], DEFAULT_SOCKET_MODE),
    logLevel: choiceOption("--log-level", values["log-level"], LOG_LEVELS, "info"),
    rpcWorkers: poolSize(rpcWorkers, rpcPool),
    rpcSandbox: rpcPool?.sandbox,
    workerHeapMiB: values["worker-heap"] === undefined
      ? DEFAULT_WORKER_HEAP_MIB
      : readHeap("--worker-heap", values["worker-heap"].trim()),
    rpcQueue: intOption("--rpc-queue", values["rpc-queue"], 1000, 0, 1_000_000),
    rpcTimeoutMs: intOption("--rpc-timeout", values["rpc-timeout"], 30_000, 1, 86_400_000),
    shutdownTimeoutMs: intOption(
      "--shutdown-timeout",
      values["shutdown-timeout"],
      5000,
      0,
      3_600_000,
    ),
    memoryLimitMiB: intOption(
      "--memory-limit",
      values["memory-limit"],
      defaultMemoryLimitMiB(),
      0,
      1_048_576,
    ),
    maxConnections: intOption("--max-connections", values["max-connections"], 512, 1, 100_000),
    idleTimeoutMs: intOption("--idle-timeout", values["idle-timeout"], 120_000, 100, 86_400_000),
    maxStuck: intOption("--max-stuck", values["max-stuck"], defaultMaxStuck(), 0, 1024),
    scriptUrl: resolveScript(positionals[0]),
    watch: values.watch ?? false,
    check: values.check ?? false,
    rpcDgram: dgramOption(values["rpc-dgram"], values["rpc-dgram-public"] ?? false),
    metrics: metricsOption(values.metrics, values["metrics-public"] ?? false),
    stats: choiceOption("--stats", values.stats, ["on", "off"], "on") === "on",
  };
  if (config.socket === "") throw new ConfigError("--socket must not be empty");
  const logFormat = choiceOption("--log-format", values["log-format"], LOG_FORMATS, "text");
  return { kind: "run", config, logFormat };
}
