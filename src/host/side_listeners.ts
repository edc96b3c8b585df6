/**
 * The listeners beside the RPC stream socket: datagram JSON-RPC
 * (`--rpc-dgram`) and the metrics and health endpoint (`--metrics`),
 * started and stopped together by the host.
 *
 * @module
 */

import type { HostConfig } from "../config/host_config.ts";
import type { MethodCaller } from "../rpc/jsonrpc.ts";
import { DatagramServer } from "../rpc/dgram_server.ts";
import { type MetricsServer, startMetricsServer } from "../observe/metrics_server.ts";
import type { MetricsSource } from "../observe/prom_families.ts";

/** The datagram and metrics listeners of one host. */
export class SideListeners {
  #dgram: DatagramServer;
  #metrics: MetricsServer | null;

  private constructor(dgram: DatagramServer, metrics: MetricsServer | null) {
    this.#dgram = dgram;
    this.#metrics = metrics;
  }

  /**
   * Starts every listener `config` asks for, serving `methods` and reading
   * `host`; throws a `ConfigError` (nothing left listening) when one
   * cannot start.
   */
  static async start(
    config: HostConfig,
    methods: MethodCaller,
    host: MetricsSource,
  ): Promise<SideListeners> {
    const mode = config.socketMode;
    const dgram = await DatagramServer.listen(
      config.rpcDgram,
      mode,
      methods,
      (transport) => host.stats.counts(transport),
    );
    try {
      const metrics = config.metrics ? await startMetricsServer(config.metrics, host) : null;
      return new SideListeners(dgram, metrics);
    } catch (error) {
      await dgram.close();
      throw error;
    }
  }

  /** Lets datagram answers being computed go out for up to `timeoutMs`, then closes all. */
  async close(timeoutMs: number): Promise<void> {
    await this.#dgram.close(timeoutMs);
    await this.#metrics?.close();
  }
}
