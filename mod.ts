/**
 * evrexec for Deno: runs exec tasks of a KEMI script (TypeScript) in
 * dedicated workers and serves RPC on a Unix socket, as Kamailio's
 * `evrexec` module does for Kamailio scripts.
 *
 * Run as a program it is the host's command line (`--help` tells more).
 * Imported, it gives the host, the exec spec parser and the RPC client.
 *
 * @example
 * ```ts
 * import { parseExecSpec } from "./mod.ts";
 *
 * const task = parseExecSpec("name=evrexec:timer;wait=1000;workers=1");
 * console.log(task.name, task.waitUs, task.workers); // evrexec:timer 1000 1
 * ```
 *
 * @module
 */

import { type HostConfig, type HostOptions, resolveHostOptions } from "./src/config/host_config.ts";
import { Host } from "./src/host/host.ts";
import type { ReloadReport } from "./src/host/reload_plan.ts";

export { ConfigError, EXIT_FATAL, EXIT_OK, EXIT_USAGE, FatalError } from "./src/base/errors.ts";
export {
  ExecSpecError,
  type ExecTask,
  parseExecSpec,
  type RestartPolicy,
} from "./src/config/exec_spec.ts";
export type { UdpAddress } from "./src/config/udp_address.ts";
export {
  type Grant,
  type Isolation,
  PERMISSION_KINDS,
  type PermissionKind,
  type Permissions,
  type SandboxSpec,
} from "./src/config/sandbox.ts";
export type { NextTick, Overlap, Schedule } from "./src/config/schedule.ts";
export type { DgramAddress } from "./src/config/dgram_address.ts";
export type { HostPort } from "./src/base/host_port.ts";
export type { HostLogLevel, LogFormat } from "./src/base/log.ts";
export type { LogFileOptions } from "./src/base/log_file.ts";
export type { HostConfig, HostOptions, ReloadReport };
export { main } from "./src/cli/main.ts";
export { defaultSocketPath } from "./src/config/defaults.ts";
export {
  type ConnectOptions,
  RpcClient,
  type RpcResponse,
  type SocketOwner,
  UntrustedSocketError,
} from "./src/client/client.ts";
export { RpcCode, RpcError } from "./src/rpc/errors.ts";

export { setupLogging } from "./src/base/log.ts";

/** A host started from code with {@link startHost}. */
export interface RunningHost {
  /** The configuration it runs with, every default applied. */
  readonly config: HostConfig;
  /**
   * Re-imports the script and re-reads its configuration, as `evrexec.reload` does.
   *
   * @returns What changed.
   * @throws {RpcError} (as a rejection) -32003 when the new version is unusable (the
   *   running one is kept), -32002 once the host is stopping.
   */
  reload(): Promise<ReloadReport>;
  /**
   * Stops gracefully, as SIGTERM does.
   *
   * @returns Once every worker has stopped and the socket is closed.
   */
  shutdown(): Promise<void>;
  /** Stops at once. */
  stop(): void;
}

/**
 * Starts a host from code: every option but `scriptUrl` has its default (see
 * {@link HostOptions}). Call `setupLogging` first if you want its log.
 *
 * @example
 * ```ts ignore
 * import { parseExecSpec, startHost } from "./mod.ts";
 *
 * const host = await startHost({
 *   scriptUrl: new URL("./examples/timer.ts", import.meta.url).href,
 *   tasks: [parseExecSpec("name=evrexec:timer;wait=1000")],
 *   socket: "/tmp/evrexec-example.sock",
 * });
 * await host.shutdown();
 * ```
 *
 * @param options What the host is told; see {@link HostOptions} for each default.
 * @returns The running host, once its tasks are started and its socket listens.
 * @throws {ConfigError} (as a rejection) When the script does not load, a task
 *   names no exported function, two tasks share a name, the socket is in use, or a
 *   UDP task cannot bind; nothing is left running then.
 */
export function startHost(options: HostOptions): Promise<RunningHost> {
  return Host.start(resolveHostOptions(options), { onFatal: options.onFatal });
}

if (import.meta.main) {
  const { main } = await import("./src/cli/main.ts");
  Deno.exit(await main(Deno.args));
}
