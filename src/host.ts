/**
 * The host: checks the script's exports in a worker, starts the exec tasks'
 * supervisors and the warm RPC pool, serves RPC, and stops it all.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import type { ExecTask } from "./exec_spec.ts";
import type { HostView } from "./host_view.ts";
import { loadErrorLine } from "./load_error.ts";
import { type HostLogLevel, log } from "./log.ts";
import { addCoreMethods } from "./methods/core.ts";
import { addEvrexecMethods } from "./methods/evrexec.ts";
import type { ErrorInfo } from "./protocol.ts";
import { addSystemMethods, methodCaller, type MethodTable } from "./rpc_methods.ts";
import { RpcPool } from "./rpc_pool.ts";
import { RpcServer } from "./rpc_server.ts";
import { clearSocketPath } from "./rpc_socket.ts";
import { TaskSupervisor } from "./task_supervisor.ts";
import { WorkerTable } from "./worker_table.ts";

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
}

function checkTasks(tasks: readonly ExecTask[], functions: readonly string[]): void {
  for (const task of tasks) {
    if (!functions.includes(task.name)) {
      throw new ConfigError(
        `exec task ${JSON.stringify(task.name)}: the script exports no function of that name ` +
          `(exported functions: ${functions.join(", ") || "none"})`,
      );
    }
  }
}

/** A running host. */
export class Host implements HostView {
  /** When the host started, in ms since the epoch. */
  readonly startedAt = Date.now();
  /** Every worker's state. */
  readonly table: WorkerTable;
  /** The warm RPC pool. */
  readonly pool: RpcPool;
  /** One supervisor per exec task. */
  readonly supervisors: readonly TaskSupervisor[];
  /** The configuration the host runs with. */
  readonly config: HostConfig;
  #server: RpcServer | null = null;
  #stopped = false;

  private constructor(config: HostConfig, table: WorkerTable, pool: RpcPool) {
    this.config = config;
    this.table = table;
    this.pool = pool;
    const context = { scriptUrl: config.scriptUrl, logLevel: config.logLevel, table };
    this.supervisors = config.tasks.map((task) => new TaskSupervisor(task, context));
  }

  /**
   * Starts a host. Rejects with a {@link ConfigError} when the socket is in
   * use, the script does not load, or a task names no exported function;
   * nothing is left running then.
   */
  static async start(config: HostConfig): Promise<Host> {
    if (await clearSocketPath(config.socket) === "stale") {
      log("rpc").info("removed a stale socket at {path}", { path: config.socket });
    }
    const table = new WorkerTable();
    const context = { scriptUrl: config.scriptUrl, logLevel: config.logLevel, table };
    const pool = new RpcPool({
      size: config.rpcWorkers,
      queueLimit: config.rpcQueue,
      timeoutMs: config.rpcTimeoutMs,
    }, context);
    try {
      const functions = await pool.load().catch((error: ErrorInfo) => {
        throw new ConfigError(
          `cannot load script ${config.scriptUrl}: ${loadErrorLine(error)}`,
        );
      });
      checkTasks(config.tasks, functions);
      const host = new Host(config, table, pool);
      host.#server = RpcServer.listen(config.socket, config.socketMode, host.#methods());
      for (const supervisor of host.supervisors) supervisor.start();
      pool.startRest();
      log().info("host ready: {tasks} exec tasks, {workers} exec workers, RPC on {socket}", {
        tasks: config.tasks.length,
        workers: config.tasks.reduce((sum, task) => sum + task.workers, 0),
        socket: config.socket,
      });
      return host;
    } catch (error) {
      pool.terminate();
      throw error;
    }
  }

  #methods() {
    const table: MethodTable = new Map();
    addEvrexecMethods(table, this);
    addCoreMethods(table, this);
    addSystemMethods(table);
    return methodCaller(table);
  }

  /** Stops RPC and every worker, and removes the socket file. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const supervisor of this.supervisors) supervisor.signalStop();
    this.#server?.close();
    this.pool.terminate();
    for (const supervisor of this.supervisors) supervisor.terminate();
  }
}
