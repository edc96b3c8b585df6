/**
 * This host in a fleet (`--cluster`): it opens the fleet's store (the schema
 * created or migrated), registers its node name (refused while another live
 * host has it), beats its heart, keeps one {@link Singleton} per
 * `singleton=cluster` task and a {@link JobRunner} for submitted calls, and
 * knows whether it has lost the database, for `/healthz` and its log. Without
 * `--cluster` the host makes none of this and nothing connects.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { log } from "../base/log.ts";
import { versionLine } from "../base/version.ts";
import { ClusterUnavailableError, isUnavailable } from "../cluster/cluster_error.ts";
import { redactUrl } from "../cluster/cluster_url.ts";
import type { QueueDepth } from "../cluster/cluster_view.ts";
import { SchemaTooNewError } from "../cluster/migrate.ts";
import { defaultNodeName, nodeIdentity } from "../cluster/node_identity.ts";
import type { NodeIdentity, Registration } from "../cluster/nodes.ts";
import { type ClusterStore, openClusterStore } from "../cluster/store.ts";
import { FLEET_DEFAULTS } from "../config/defaults.ts";
import type { HostConfig } from "../config/host_config.ts";
import type { RpcPool } from "../pool/pool.ts";
import { messageOf } from "../shared/error_text.ts";
import type { TaskSupervisor } from "../tasks/supervisor.ts";
import { JobRunner } from "./fleet_jobs.ts";
import { Singleton } from "./fleet_singleton.ts";

/** What the fleet needs of the host. */
export interface FleetHost {
  /** The configuration now (a reload may change the tasks). */
  readonly config: HostConfig;
  /** The supervisors now. */
  readonly supervisors: readonly TaskSupervisor[];
  /** The supervisor of task `name` now. */
  supervisor(name: string): TaskSupervisor | undefined;
  /** The RPC pool in service now. */
  readonly pool: RpcPool;
}

/** This host in its fleet. */
export class Fleet {
  /** This node. */
  readonly node: NodeIdentity;
  /** The store. */
  readonly store: ClusterStore;
  /** The submitted calls this host runs. */
  readonly jobs: JobRunner;
  #host: FleetHost;
  #singletons = new Map<string, Singleton>();
  #heartbeat: ReturnType<typeof setTimeout> | null = null;
  #pruner: ReturnType<typeof setInterval> | null = null;
  #lostSince: number | null = null;
  #lostWhy = "";
  #nameTaken = false;
  #closed = false;
  #depth: QueueDepth | null = null;
  #depthReading = false;
  #offs: (() => void)[] = [];

  private constructor(store: ClusterStore, node: NodeIdentity, host: FleetHost) {
    this.store = store;
    this.node = node;
    this.#host = host;
    this.jobs = new JobRunner(store, node.name, () => host.pool, {
      leaseMs: FLEET_DEFAULTS.jobLeaseMs,
      pollMs: FLEET_DEFAULTS.jobPollMs,
    });
  }

  /**
   * Joins the fleet of `config.cluster`: opens and migrates the schema and
   * registers the node. Nothing is started yet ({@link start}).
   *
   * @throws {ConfigError} when the database cannot be reached, refuses, holds
   * a newer schema, or another live host has this node's name.
   */
  static async open(host: FleetHost): Promise<Fleet> {
    const config = host.config;
    const url = config.cluster!;
    const name = config.node ?? defaultNodeName();
    const node = nodeIdentity(name, versionLine());
    const shown = redactUrl(url).slice(0, 120);
    let store: ClusterStore;
    try {
      store = await openClusterStore({
        url,
        schema: config.clusterSchema ?? FLEET_DEFAULTS.schema,
        node: name,
        onConnectionError: (error) =>
          log("cluster").debug("connection error: {error}", { error: messageOf(error) }),
      });
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      if (error instanceof SchemaTooNewError) throw new ConfigError(`--cluster: ${error.message}`);
      const what = error instanceof ClusterUnavailableError || isUnavailable(error)
        ? "cannot reach the cluster database"
        : "the cluster database refused this host";
      throw new ConfigError(`--cluster ${shown}: ${what}: ${oneLine(messageOf(error))}`);
    }
    try {
      const got = await registerNode(store, node);
      if (!got.ok) {
        const h = got.holder;
        throw new ConfigError(
          `--node ${name}: a live host of the fleet has this name (${h.hostname || "?"} pid ` +
            `${h.pid}, seen ${Math.round(h.lastSeenMsAgo)} ms ago); give each host its own ` +
            `--node, or wait ${Math.ceil(got.expiresInMs / 1000)} s if that host is gone`,
        );
      }
    } catch (error) {
      await store.close();
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(
        `--cluster ${shown}: cannot register node ${name}: ${oneLine(messageOf(error))}`,
      );
    }
    log("cluster").info(
      "joined the fleet at {url} as node {node} (schema {schema} v{version}{migrated})",
      {
        url: shown,
        node: name,
        schema: store.names.schema,
        version: store.migration.to,
        migrated: store.migration.from === store.migration.to
          ? ""
          : `, migrated from v${store.migration.from}`,
      },
    );
    return new Fleet(store, node, host);
  }

  /** Starts the heartbeat, a keeper per singleton task and the job runner. */
  start(): void {
    const n = this.store.notifications;
    if (n !== null) {
      this.#offs.push(n.on("leases", (name) => this.#singletons.get(name)?.poke()));
    }
    this.sync();
    this.jobs.start();
    this.#beat();
    this.#pruner = setInterval(() => void this.#prune(), FLEET_DEFAULTS.pruneEveryMs);
  }

  /** Deletes fires and finished calls older than a day, and nodes gone for a week. */
  async #prune(): Promise<void> {
    try {
      const fires = await this.store.fires.prune(FLEET_DEFAULTS.keepRowsMs);
      const jobs = await this.store.jobs.prune(FLEET_DEFAULTS.keepRowsMs);
      const nodes = await this.store.nodes.prune(FLEET_DEFAULTS.keepNodesMs);
      log("cluster").debug("pruned {fires} fires, {jobs} calls, {nodes} nodes", {
        fires,
        jobs,
        nodes,
      });
    } catch (error) {
      log("cluster").debug("prune failed: {error}", { error: messageOf(error) });
    }
  }

  /** Matches the singletons to the tasks now (at start and after a reload). */
  sync(): void {
    if (this.#closed) return;
    const tasks = new Map(
      this.#host.supervisors.filter((s) => s.task.fleet !== undefined).map((s) => [s.task.name, s]),
    );
    for (const [name, singleton] of this.#singletons) {
      const supervisor = tasks.get(name);
      if (supervisor !== undefined && sameKeys(singleton, supervisor)) continue;
      this.#singletons.delete(name);
      void singleton.stop();
    }
    for (const [name, supervisor] of tasks) {
      const kept = this.#singletons.get(name);
      if (kept !== undefined) {
        kept.resync();
        continue;
      }
      const singleton = new Singleton(this.store, this.node.name, supervisor, {
        supervisor: (task) => this.#host.supervisor(task),
        get graceMs() {
          return graceOf();
        },
      });
      this.#singletons.set(name, singleton);
      singleton.start();
    }
    const host = this.#host;
    function graceOf(): number {
      return host.config.shutdownTimeoutMs;
    }
  }

  #beat(): void {
    if (this.#closed) return;
    this.store.nodes.heartbeat(this.node, FLEET_DEFAULTS.nodeTtlMs).then((mine) => {
      this.#reachable();
      if (!mine && !this.#nameTaken) {
        this.#nameTaken = true;
        log("cluster").error(
          "node {node}: another host took this name while this one could not beat its heart",
          { node: this.node.name },
        );
      }
      if (mine) this.#nameTaken = false;
    }, (error) => this.#unreachable(error)).finally(() => {
      if (this.#closed) return;
      this.#heartbeat = setTimeout(() => this.#beat(), FLEET_DEFAULTS.heartbeatMs);
    });
  }

  #reachable(): void {
    if (this.#lostSince === null) return;
    log("cluster").info("cluster database reachable again after {s} s; singleton tasks resume", {
      s: Math.round((performance.now() - this.#lostSince) / 100) / 10,
    });
    this.#lostSince = null;
    // A lease released meanwhile was announced to nobody: look again now.
    for (const singleton of this.#singletons.values()) singleton.poke();
    this.jobs.poll();
  }

  #unreachable(error: unknown): void {
    if (!isUnavailable(error)) {
      log("cluster").warn("node heartbeat failed: {error}", { error: oneLine(messageOf(error)) });
      return;
    }
    if (this.#lostSince !== null) return;
    this.#lostSince = performance.now();
    this.#lostWhy = oneLine(messageOf(error));
    log("cluster").error(
      "cluster database lost ({error}); singleton tasks stop before their lease can pass, " +
        "submitted calls wait in the database",
      { error: this.#lostWhy },
    );
  }

  /** Why the fleet is unhealthy (the database is lost), or null. */
  problem(): string | null {
    if (this.#lostSince === null) return null;
    const s = Math.round((performance.now() - this.#lostSince) / 1000);
    return `cluster database unreachable for ${s} s (${this.#lostWhy}): singleton tasks stopped`;
  }

  /** True while the database answers the heartbeat. */
  get databaseUp(): boolean {
    return this.#lostSince === null;
  }

  /** True when task `name` is a singleton this host does not hold (its workers stand by). */
  standsBy(name: string): boolean {
    const singleton = this.#singletons.get(name);
    return singleton !== undefined && !singleton.holding;
  }

  /** The singleton of task `name`, if it is one. */
  singleton(name: string): Singleton | undefined {
    return this.#singletons.get(name);
  }

  /** Every singleton. */
  get singletons(): readonly Singleton[] {
    return [...this.#singletons.values()];
  }

  /**
   * The queue's figures as last read (for `/metrics`), reading them anew in
   * the background: a scrape costs one statement, an unscraped host none.
   */
  depth(): QueueDepth | null {
    if (!this.#depthReading && !this.#closed) {
      this.#depthReading = true;
      this.store.depth().then((depth) => this.#depth = depth, () => this.#depth = null)
        .finally(() => this.#depthReading = false);
    }
    return this.#depth;
  }

  /**
   * Leaves the fleet: stops claiming calls (those under way get up to
   * `graceMs`), stops the singletons (their workers stop, their leases are
   * released for another host), ends the registration and closes the store.
   */
  async close(graceMs: number): Promise<void> {
    if (this.#closed) return;
    for (const off of this.#offs) off();
    await this.jobs.stop(graceMs);
    await Promise.all([...this.#singletons.values()].map((s) => s.stop()));
    this.#closed = true;
    if (this.#heartbeat !== null) clearTimeout(this.#heartbeat);
    if (this.#pruner !== null) clearInterval(this.#pruner);
    await this.store.nodes.leave(this.node).catch(() => {});
    await this.store.close();
  }
}

/**
 * Registers `node`. A live registration of the name is looked at again after
 * one heartbeat and a second: a host that still runs has beaten its heart
 * meanwhile (then the name is refused); one that was killed has not, and its
 * registration is waited out (at most its lifetime), so that a host killed
 * and started again at once, as a service manager does, gets its name back.
 */
async function registerNode(store: ClusterStore, node: NodeIdentity): Promise<Registration> {
  const ttl = FLEET_DEFAULTS.nodeTtlMs;
  const beat = FLEET_DEFAULTS.heartbeatMs;
  let got = await store.nodes.register(node, ttl);
  if (got.ok) return got;
  log("cluster").info(
    "node {node}: a host with this name was seen {ms} ms ago; looking again in {wait} ms " +
      "whether it still runs",
    { node: node.name, ms: Math.round(got.holder.lastSeenMsAgo), wait: beat + 1000 },
  );
  await sleep(beat + 1000);
  const end = performance.now() + ttl + beat;
  got = await store.nodes.register(node, ttl);
  while (!got.ok && got.holder.lastSeenMsAgo > beat + 500 && performance.now() < end) {
    await sleep(Math.min(Math.max(50, got.expiresInMs + 50), 1000));
    got = await store.nodes.register(node, ttl);
  }
  return got;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** True when the singleton was made for the keys `supervisor`'s task has. */
function sameKeys(singleton: Singleton, supervisor: TaskSupervisor): boolean {
  return JSON.stringify(singleton.spec) === JSON.stringify(supervisor.task.fleet) &&
    singleton.scheduleText === (supervisor.task.schedule?.text ?? null);
}

/** An error text on one line, at most 300 characters. */
function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
