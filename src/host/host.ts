/**
 * The host: checks the script's exports in a worker, starts the exec tasks'
 * supervisors and the warm RPC pool, serves RPC, reloads the script, and
 * stops it all, gracefully or at once. A condition it cannot live on with
 * (too many workers stuck, memory the watchdog cannot win back) stops every
 * worker and goes to its caller (`onFatal`): the host never ends the process.
 *
 * @module
 */

import { settlesWithin, withTimeout } from "../base/deadline.ts";
import { errorLine, messageOf } from "../shared/error_text.ts";
import { ConfigError, FatalError } from "../base/errors.ts";
import type { HostAccess } from "./host_access.ts";
import { log, logVerbatim } from "../base/log.ts";
import { MemoryWatchdog } from "./memory_watchdog.ts";
import { stoppingError } from "./host_errors.ts";
import { hostMethods } from "./methods/host_methods.ts";
import type { ErrorInfo } from "../shared/messages.ts";
import type { RpcPool } from "../pool/pool.ts";
import { loadNextVersion, newPool } from "./reload_candidate.ts";
import { missingFunction } from "./script_exports.ts";
import { RpcServer } from "../rpc/server.ts";
import { clearSocketPath } from "../rpc/socket_file.ts";
import { STOP_ACK_MS } from "../tasks/worker_lifecycle.ts";
import type { TaskSupervisor } from "../tasks/supervisor.ts";
import type { ConfigSource, HostConfig } from "../config/host_config.ts";
import { diffTasks, TaskSet } from "./task_set.ts";
import { newSpawnContext, prepareSandboxes, type SpawnContext } from "../spawn/spawn_context.ts";
import type { StuckWorker, WorkerRegistry } from "../spawn/registry.ts";
import type { WorkerStates } from "../spawn/worker_states.ts";
import { requireDenoRun } from "../base/deno_command.ts";
import { startChecker, type TypeChecker } from "../dev/type_check.ts";
import { type ScriptWatcher, startWatcher } from "../dev/watcher.ts";
import { HostStats } from "../observe/stats.ts";
import { RecentTrail } from "../observe/recent_trail.ts";
import { WorkerSpans } from "../observe/worker_spans.ts";
import { startOtelMetrics } from "../observe/otel_metrics.ts";
import { OTEL_MISSING_LINE, otelState } from "../base/otel_env.ts";
import { denoOtel } from "../shared/otel.ts";
import { VERSION } from "../base/version.ts";
import { SideListeners } from "./side_listeners.ts";
import { logReload, type ReloadReport, reloadReport, rereadConfig } from "./reload_plan.ts";
import { quoteValue } from "../shared/quote.ts";
import { counted } from "../base/plural.ts";
import { ReloadQueue, type ReloadTicket } from "./reload_queue.ts";
import { Fleet } from "./fleet.ts";

/** What the host tells its caller besides its answers. */
export interface HostHooks {
  /** Reads the configuration again for each reload (a `--config` file and the same flags). */
  readonly source?: ConfigSource;
  /** Told of a condition the host cannot live on with, once every worker is stopped. */
  readonly onFatal?: (error: FatalError) => void;
  /**
   * Told when a reload begins (`error` undefined, `done` false) and when it
   * ends (`done` true, with its `error` when it failed and the running
   * version was kept): the command line tells systemd.
   */
  readonly onReload?: (done: boolean, error?: unknown) => void;
}

/** How long start-up waits for UDP tasks to bind. */
const BIND_TIMEOUT_MS = 10_000;
/** The rest of the RPC pool starts when the tasks run, or after this long. */
const POOL_REST_DELAY_MS = 1000;

/** A running host. */
export class Host implements HostAccess {
  /** When the host started, in ms since the epoch. */
  readonly startedAt: number = Date.now();
  /** Every worker's state. */
  readonly states: WorkerStates;
  /** The counters that `stats.*` and /metrics read. */
  readonly stats: HostStats;
  /** Recent worker restarts, failures and reloads, for the status page. */
  readonly trail: RecentTrail;
  #config: HostConfig;
  #source: ConfigSource | null = null;
  #onFatal: ((error: FatalError) => void) | null = null;
  #onReload: ((done: boolean, error?: unknown) => void) | null = null;
  #tasks: TaskSet;
  #context: SpawnContext;
  #pool: RpcPool;
  #server: RpcServer | null = null;
  #watchdog: MemoryWatchdog | null = null;
  #version = 1;
  #reloads = new ReloadQueue<ReloadReport>((changed) => this.#reload(changed));
  #stopped = false;
  #shuttingDown = false;
  #checker: TypeChecker | null = null;
  #watcher: ScriptWatcher | null = null;
  #side: SideListeners | null = null;
  #fleet: Fleet | null = null;

  private constructor(
    config: HostConfig,
    context: SpawnContext,
    pool: RpcPool,
    stats: HostStats,
    trail: RecentTrail,
  ) {
    this.#config = config;
    this.stats = stats;
    this.trail = trail;
    this.#context = context;
    this.states = context.states;
    this.#pool = pool;
    this.#tasks = new TaskSet(config.tasks, context);
  }

  /** The configuration the host runs with (a reload may change its tasks and pool settings). */
  get config(): HostConfig {
    return this.#config;
  }

  /** One supervisor per exec task, in the order of the tasks. */
  get supervisors(): readonly TaskSupervisor[] {
    return this.#tasks.list;
  }

  /** This host's live workers, and those stopped while stuck in synchronous code. */
  get workers(): WorkerRegistry {
    return this.#context.workers;
  }

  /** The warm RPC pool in service now (a reload replaces it). */
  get pool(): RpcPool {
    return this.#pool;
  }

  /** RPC stream connections open now. */
  get connections(): number {
    return this.#server?.connections ?? 0;
  }

  /** This host in its fleet (`--cluster`), or null when it is alone. */
  get fleet(): Fleet | null {
    return this.#fleet;
  }

  /** True once a shutdown or stop has begun. */
  get stopping(): boolean {
    return this.#shuttingDown || this.#stopped;
  }

  /** How many times the script was loaded: 1, then one more per reload. */
  get version(): number {
    return this.#version;
  }

  /**
   * Starts a host. Rejects with a {@link ConfigError} when the socket is in
   * use, the script does not load, a task names no exported function, or a
   * UDP task cannot bind; nothing is left running then. `hooks.source`
   * reads the configuration again at each reload (a `--config` file);
   * `hooks.onFatal` is told of a condition the host cannot live on with.
   */
  static async start(config: HostConfig, hooks: HostHooks = {}): Promise<Host> {
    if (config.watch) requireDenoRun("--watch", "deno info");
    const checker = await startChecker(config);
    if (await clearSocketPath(config.socket) === "stale") {
      log("rpc").info("removed a stale socket at {path}", { path: config.socket });
    }
    let started: Host | null = null;
    const stats = new HostStats(config.stats);
    const trail = new RecentTrail();
    const otel = otelState();
    if (otel === "missing") log().warn(OTEL_MISSING_LINE);
    const tracer = otel === "on" ? denoOtel(VERSION) : null;
    const spans = tracer === null ? null : new WorkerSpans(tracer);
    const countState = stats.counting ? stats.workerState : null;
    const context = newSpawnContext(
      config,
      (slot, state, error, previous) => {
        countState?.(slot, state, error, previous);
        trail.workerState(slot, state, error, previous);
        spans?.workerState(slot, state, error, previous);
      },
      (stuck) => {
        if (started !== null) started.#tooManyStuck(stuck);
      },
      (worker) => {
        trail.stuck(worker);
        spans?.stuck(worker);
      },
    );
    const host = started = new Host(
      config,
      context,
      newPool(config, context),
      stats,
      trail,
    );
    host.#checker = checker;
    host.#source = hooks.source ?? null;
    host.#onFatal = hooks.onFatal ?? null;
    host.#onReload = hooks.onReload ?? null;
    try {
      const { heapProven } = await prepareSandboxes(config, context);
      const functions = await host.#pool.load().catch((error: ErrorInfo) => {
        throw new ConfigError(`cannot load script ${config.scriptUrl}: ${errorLine(error)}`);
      });
      await heapProven;
      const missing = missingFunction(config.tasks, functions);
      if (missing !== null) throw new ConfigError(missing);
      if (config.cluster !== undefined) host.#fleet = await Fleet.open(host);
      const methods = hostMethods(host);
      host.#server = RpcServer.listen(
        config,
        methods,
        stats.counts("stream"),
      );
      host.#side = await SideListeners.start(config, methods, host);
      if (otel === "on") startOtelMetrics(host);
      if (config.memoryLimitMiB > 0) {
        host.#watchdog = new MemoryWatchdog(
          config.memoryLimitMiB,
          context.workers,
          (error) => host.#fatal(error),
        );
        host.#watchdog.start();
      }
      // A singleton task's workers start when its lease is held (the fleet's keeper).
      const local = host.supervisors.filter((s) => s.task.fleet === undefined);
      for (const supervisor of local) supervisor.start();
      host.#fleet?.start();
      // The rest of the pool starts once the tasks run: starting a worker blocks
      // this thread, and the tasks come first (pool worker 0 serves meanwhile).
      // A reload may have replaced this pool by then: its successor starts its own.
      const tasksRunning = Promise.all(local.map((s) => s.allRunning()));
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
              `exec task ${quoteValue(supervisor.task.name)}: ${messageOf(error)}`,
            );
          })
        ),
      );
      host.#watcher = await startWatcher(
        config,
        // A reload refused because the host stops needs no line about it.
        (changed) =>
          host.reload(changed).catch((error) => {
            if (!host.stopping) throw error;
          }),
      );
      const workers = config.tasks.reduce((sum, task) => sum + task.workers, 0);
      log().info("host ready: {tasks}, {workers}, RPC on {socket}", {
        tasks: counted(config.tasks.length, "exec task"),
        workers: counted(workers, "exec worker"),
        socket: config.socket,
      });
      return host;
    } catch (error) {
      host.stop();
      // Leave the fleet before the caller exits: a restart may take the name at once.
      await host.#fleet?.close(0).catch(() => {});
      throw error;
    }
  }

  /** The supervisor of task `name`, or undefined. */
  supervisor(name: string): TaskSupervisor | undefined {
    return this.#tasks.find(name);
  }

  /**
   * Re-reads the config file (if any) and re-imports the script: checks both
   * (the script in a new pool, against every task; with `--check` it must
   * type-check), swaps the RPC pool (queued calls move over, running ones end
   * on the old code), applies the new task set (`TaskSet.apply`) and restarts
   * unchanged tasks whose restart policy is not `no`. On any error nothing
   * changes: it rejects with an `RpcError` (-32003). Asked for while a reload
   * runs, it waits for the one more that follows ({@link askReload}).
   */
  reload(changed: readonly string[] = []): Promise<ReloadReport> {
    return this.askReload(changed).done;
  }

  /** Asks for a reload: now, or (logged once) one more after the running one, shared by all asks. */
  askReload(changed: readonly string[] = []): ReloadTicket<ReloadReport> {
    if (this.stopping) return { turn: "now", done: Promise.reject(stoppingError()) };
    const ticket = this.#reloads.ask(changed);
    const again = "a reload is running already; one more follows it, for all asked for until then";
    if (ticket.turn === "next") log().info(again);
    return ticket;
  }

  async #reload(changed: readonly string[]): Promise<ReloadReport> {
    if (this.stopping) throw stoppingError();
    const started = performance.now();
    this.#tellReload(false);
    let failure: unknown = undefined;
    try {
      const { config, needsRestart } = rereadConfig(this.#config, this.#source);
      const { pool: next, functions } = await loadNextVersion(
        config,
        this.#context,
        this.#checker,
        () => this.stopping ? stoppingError() : null,
      );
      const old = this.#pool;
      this.#pool = next;
      next.adopt(old.takeQueue());
      old.retire();
      const changes = diffTasks(this.supervisors.map((s) => s.task), config.tasks);
      const restarted = this.supervisors.filter((s) =>
        changes.unchanged.includes(s.task.name) && s.task.restart !== "no" && s.state !== "stopped"
      );
      this.#config = config;
      const grace = config.shutdownTimeoutMs;
      await Promise.all([
        this.#tasks.apply(config.tasks, grace, () => this.stopping),
        ...restarted.map((s) => s.restart(grace)),
      ]);
      this.#fleet?.sync();
      this.#version++;
      const report = reloadReport(this, functions, changes, restarted, needsRestart);
      logReload(report, changed, performance.now() - started);
      this.trail.reloaded(this.#version, performance.now() - started);
      return report;
    } catch (error) {
      failure = error ?? new Error("the reload failed");
      this.trail.reloaded(this.#version, performance.now() - started, messageOf(error));
      throw error;
    } finally {
      this.#watcher?.refresh();
      this.#tellReload(true, failure);
    }
  }

  /** Tells the caller's `onReload`; what it throws is logged, never the reload's failure. */
  #tellReload(done: boolean, error?: unknown): void {
    try {
      this.#onReload?.(done, error);
    } catch (thrown) {
      log().warn("the reload hook threw: {error}", { error: messageOf(thrown) });
    }
  }

  /**
   * Stops gracefully: takes no new RPC calls (queued ones are answered
   * "busy"), lets running calls finish for up to `--shutdown-timeout`, and
   * stops the exec workers by the stop rule (see `WorkerLifecycle.stop`): a loop
   * whose code reads `KSR.shutdown` gets up to `--shutdown-timeout` to end,
   * any other at once. Then it stops what is left and removes the socket file.
   */
  async shutdown(): Promise<void> {
    if (this.#stopped || this.#shuttingDown) return;
    this.#shuttingDown = true;
    this.#watcher?.stop();
    const grace = this.config.shutdownTimeoutMs;
    this.#server?.stopAccepting();
    this.#tasks.haltSchedules();
    const settled = Promise.all([
      this.#fleet?.close(grace),
      this.#pool.shutdown(grace),
      ...this.supervisors.map((supervisor) => supervisor.stop(grace)),
    ]);
    if (!await settlesWithin(settled, grace + STOP_ACK_MS)) {
      log().warn("graceful stop took longer than {ms} ms; terminating what is left", { ms: grace });
    }
    this.#terminateWorkers();
    await Promise.all([this.#server?.close(500), this.#side?.close(500)]);
  }

  /**
   * More workers are stuck in synchronous code than `--max-stuck`: each may
   * keep a core busy for good, so it is fatal (the command line exits 1 for
   * its service manager to restart it). Not while it stops: stopping makes
   * stuck workers, and ends.
   */
  #tooManyStuck(stuck: readonly StuckWorker[]): void {
    if (this.#stopped || this.#shuttingDown) return;
    const workers = stuck.map((worker) => worker.label).join(", ");
    this.#fatal(
      new FatalError(
        `${stuck.length} workers are stuck in synchronous code (${workers}), past --max-stuck ` +
          `${this.#context.workers.maxStuck}: each may keep a CPU core busy and Deno cannot ` +
          "stop them",
        "so that the service manager restarts the host",
      ),
    );
  }

  /**
   * A condition the host cannot live on with: it stops every worker at
   * once and tells its caller (`onFatal`), or logs it when no one listens.
   */
  #fatal(error: FatalError): void {
    this.stop();
    if (this.#onFatal !== null) return this.#onFatal(error);
    logVerbatim(log(), "fatal", `${error.message}; the host has stopped`);
  }

  /** Stops RPC and every worker at once, and removes the socket file. */
  stop(): void {
    this.#terminateWorkers();
    this.#server?.close(0);
    this.#side?.close(0);
  }

  #terminateWorkers(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#watchdog?.stop();
    this.#watcher?.stop();
    this.#server?.stopAccepting();
    this.#context.pacer.close();
    this.#pool.terminate();
    this.#tasks.terminate();
    void this.#fleet?.close(0).catch(() => {});
  }
}
