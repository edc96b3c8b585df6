/**
 * The host: checks the script's exports in a worker, starts the exec tasks'
 * supervisors and the warm RPC pool, serves RPC, reloads the script, and
 * stops it all, gracefully or at once.
 *
 * @module
 */

import { settlesWithin, withTimeout } from "../shared/deadline.ts";
import { errorLine, messageOf } from "../shared/error_text.ts";
import { ConfigError } from "../shared/errors.ts";
import type { HostView, ReloadReport } from "./view.ts";
import { log } from "./log.ts";
import { MemoryWatchdog } from "./memory_watchdog.ts";
import { addCoreMethods } from "../rpc/methods/core.ts";
import { addEvrexecMethods } from "../rpc/methods/evrexec.ts";
import { addTaskControlMethods, stoppingError } from "../rpc/methods/task_control.ts";
import type { ErrorInfo } from "../shared/messages.ts";
import { RpcCode, RpcError } from "../rpc/errors.ts";
import { addSystemMethods, methodCaller, type MethodTable } from "../rpc/method_table.ts";
import { RpcPool } from "../pool/pool.ts";
import { missingFunction } from "./script_exports.ts";
import { RpcServer } from "../rpc/server.ts";
import { clearSocketPath } from "../rpc/socket_file.ts";
import { STOP_ACK_MS } from "../tasks/slot_machine.ts";
import { TaskSupervisor } from "../tasks/supervisor.ts";
import type { HostConfig } from "./config.ts";
import type { SpawnContext } from "./spawn_context.ts";
import { WorkerPacer } from "./worker_pacer.ts";
import { WorkerTable } from "./worker_table.ts";

/** How long start-up waits for UDP tasks to bind. */
const BIND_TIMEOUT_MS = 10_000;
/** The rest of the RPC pool starts when the tasks run, or after this long. */
const POOL_REST_DELAY_MS = 1000;

/** A running host. */
export class Host implements HostView {
  /** When the host started, in ms since the epoch. */
  readonly startedAt: number = Date.now();
  /** Every worker's state. */
  readonly table: WorkerTable;
  /** One supervisor per exec task. */
  readonly supervisors: readonly TaskSupervisor[];
  /** The configuration the host runs with. */
  readonly config: HostConfig;
  #context: SpawnContext;
  #pool: RpcPool;
  #server: RpcServer | null = null;
  #watchdog: MemoryWatchdog | null = null;
  #version = 1;
  #reloading = false;
  #stopped = false;
  #shuttingDown = false;

  private constructor(config: HostConfig, context: SpawnContext, pool: RpcPool) {
    this.config = config;
    this.#context = context;
    this.table = context.table;
    this.#pool = pool;
    this.supervisors = config.tasks.map((task) => new TaskSupervisor(task, context));
  }

  /** The warm RPC pool in service now (a reload replaces it). */
  get pool(): RpcPool {
    return this.#pool;
  }

  /** How many times the script was loaded: 1, then one more per reload. */
  get version(): number {
    return this.#version;
  }

  /** True once a stop has begun: control methods are refused from then on. */
  get stopping(): boolean {
    return this.#shuttingDown || this.#stopped;
  }

  /**
   * Starts a host. Rejects with a {@link ConfigError} when the socket is in
   * use, the script does not load, a task names no exported function, or a
   * UDP task cannot bind; nothing is left running then.
   */
  static async start(config: HostConfig): Promise<Host> {
    if (await clearSocketPath(config.socket) === "stale") {
      log("rpc").info("removed a stale socket at {path}", { path: config.socket });
    }
    const context = {
      scriptUrl: config.scriptUrl,
      logLevel: config.logLevel,
      table: new WorkerTable(),
      pacer: new WorkerPacer(),
    };
    const host = new Host(config, context, newPool(config, context));
    try {
      const functions = await host.#pool.load().catch((error: ErrorInfo) => {
        throw new ConfigError(`cannot load script ${config.scriptUrl}: ${errorLine(error)}`);
      });
      const missing = missingFunction(config.tasks, functions);
      if (missing !== null) throw new ConfigError(missing);
      host.#server = RpcServer.listen(config, host.#methods());
      if (config.memoryLimitMiB > 0) {
        host.#watchdog = new MemoryWatchdog(config.memoryLimitMiB);
        host.#watchdog.start();
      }
      for (const supervisor of host.supervisors) supervisor.start();
      // The rest of the pool starts once the tasks run: starting a worker blocks
      // this thread, and the tasks come first (pool worker 0 serves meanwhile).
      // A reload may have replaced this pool by then: its successor starts its own.
      const tasksRunning = Promise.all(host.supervisors.map((s) => s.allRunning()));
      const pool = host.#pool;
      settlesWithin(tasksRunning, POOL_REST_DELAY_MS).then(() => pool.startRest());
      await Promise.all(
        host.supervisors.map((supervisor) =>
          withTimeout(
            supervisor.bound(),
            BIND_TIMEOUT_MS,
            `binding took over ${BIND_TIMEOUT_MS} ms`,
          ).catch((error) => {
            throw new ConfigError(
              `exec task ${JSON.stringify(supervisor.task.name)}: ${messageOf(error)}`,
            );
          })
        ),
      );
      log().info("host ready: {tasks} exec tasks, {workers} exec workers, RPC on {socket}", {
        tasks: config.tasks.length,
        workers: config.tasks.reduce((sum, task) => sum + task.workers, 0),
        socket: config.socket,
      });
      return host;
    } catch (error) {
      host.stop();
      throw error;
    }
  }

  #methods() {
    const table: MethodTable = new Map();
    addEvrexecMethods(table, this);
    addTaskControlMethods(table, this);
    addCoreMethods(table, this);
    addSystemMethods(table);
    return methodCaller(table);
  }

  /** The supervisor of task `name`, or undefined. */
  supervisor(name: string): TaskSupervisor | undefined {
    return this.supervisors.find((supervisor) => supervisor.task.name === name);
  }

  /**
   * Re-imports the script: checks it in a new pool against every task and,
   * on success, swaps the RPC pool (queued calls move over, running ones
   * finish on the old code) and restarts the workers of tasks whose restart
   * policy is not `no`. On any error nothing changes and it rejects with an
   * {@link RpcError} (-32003).
   */
  async reload(): Promise<ReloadReport> {
    if (this.stopping) throw stoppingError();
    if (this.#reloading) throw new RpcError(RpcCode.BUSY, "busy: a reload is running already");
    this.#reloading = true;
    try {
      const next = newPool(this.config, this.#context);
      let functions: readonly string[];
      try {
        functions = await next.load();
      } catch (error) {
        next.discard();
        throw new RpcError(
          RpcCode.RELOAD_FAILED,
          `reload failed, the running version is kept: cannot load script: ${
            errorLine(error as ErrorInfo)
          }`,
        );
      }
      if (this.stopping) {
        next.discard();
        throw stoppingError();
      }
      const missing = missingFunction(this.config.tasks, functions);
      if (missing !== null) {
        next.discard();
        throw new RpcError(
          RpcCode.RELOAD_FAILED,
          `reload failed, the running version is kept: ${missing}`,
        );
      }
      const old = this.#pool;
      this.#pool = next;
      next.adopt(old.takeQueue());
      next.startRest();
      old.retire();
      const restarted = this.supervisors.filter((s) =>
        s.task.restart !== "no" && s.state !== "stopped"
      );
      await Promise.all(restarted.map((s) => s.restart(this.config.shutdownTimeoutMs)));
      this.#version++;
      const report: ReloadReport = {
        version: this.#version,
        script: this.config.scriptUrl,
        functions: [...functions],
        rpc_pool: "replaced",
        restarted_tasks: restarted.map((s) => s.task.name),
        kept_tasks: this.supervisors.filter((s) => !restarted.includes(s)).map((s) => s.task.name),
      };
      log().info("reloaded {script} (version {version}); restarted tasks: {tasks}", {
        script: report.script,
        version: report.version,
        tasks: report.restarted_tasks.join(", ") || "none",
      });
      return report;
    } finally {
      this.#reloading = false;
    }
  }

  /**
   * Stops gracefully: takes no new RPC calls (queued ones are answered
   * "busy"), lets running calls finish for up to `--shutdown-timeout`, and
   * stops the exec workers by the stop rule (see `SlotMachine.stop`): a loop
   * whose code reads `KSR.shutdown` gets up to `--shutdown-timeout` to end,
   * any other at once. Then it stops what is left and removes the socket file.
   */
  async shutdown(): Promise<void> {
    if (this.#stopped || this.#shuttingDown) return;
    this.#shuttingDown = true;
    const grace = this.config.shutdownTimeoutMs;
    this.#server?.stopAccepting();
    const settled = Promise.all([
      this.#pool.shutdown(grace),
      ...this.supervisors.map((supervisor) => supervisor.stop(grace)),
    ]);
    if (!await settlesWithin(settled, grace + STOP_ACK_MS)) {
      log().warn("graceful stop took longer than {ms} ms; terminating what is left", { ms: grace });
    }
    this.#terminateWorkers();
    await this.#server?.close(500);
  }

  /** Stops RPC and every worker at once, and removes the socket file. */
  stop(): void {
    this.#terminateWorkers();
    this.#server?.close(0);
  }

  #terminateWorkers(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#watchdog?.stop();
    this.#server?.stopAccepting();
    this.#context.pacer.close();
    this.#pool.terminate();
    for (const supervisor of this.supervisors) supervisor.terminate();
  }
}

function newPool(config: HostConfig, context: SpawnContext): RpcPool {
  return new RpcPool({
    size: config.rpcWorkers,
    queueLimit: config.rpcQueue,
    timeoutMs: config.rpcTimeoutMs,
  }, context);
}
