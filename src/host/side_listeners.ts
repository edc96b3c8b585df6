/**
 * The listeners beside the RPC stream socket: datagram JSON-RPC
 * (`--rpc-dgram`), Kamailio's BINRPC (`--rpc-ctl`) and jsonrpcs FIFO
 * (`--rpc-fifo`), and the metrics and health endpoint (`--metrics`),
 * started and stopped together by the host.
 *
 * @module
 */

import type { HostConfig } from "../config/host_config.ts";
import type { MethodCaller } from "../rpc/jsonrpc.ts";
import { DatagramServer } from "../rpc/dgram_server.ts";
import { CtlServer } from "../rpc/ctl_server.ts";
import { FifoServer } from "../rpc/fifo_server.ts";
import { type MetricsServer, startMetricsServer } from "../observe/metrics_server.ts";
import type { MetricsSource } from "../observe/prom_families.ts";

/** The datagram, Kamailio and metrics listeners of one host. */
export class SideListeners {
  #dgram: DatagramServer;
  #ctl: CtlServer | null = null;
  #fifo: FifoServer | null = null;
  #metrics: MetricsServer | null = null;

  private constructor(dgram: DatagramServer) {
    this.#dgram = dgram;
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
    const side = new SideListeners(dgram);
    try {
      const ctlCounts = config.rpcCtl.length > 0 ? host.stats.counts("ctl") : undefined;
      side.#ctl = await CtlServer.listen(config.rpcCtl, config, methods, ctlCounts);
      if (config.rpcFifo !== undefined) {
        side.#fifo = await FifoServer.listen(
          config.rpcFifo,
          config.socketMode,
          methods,
          host.stats.counts("fifo"),
        );
      }
      if (config.metrics) side.#metrics = await startMetricsServer(config.metrics, host);
      return side;
    } catch (error) {
      await side.close(0);
      throw error;
    }
  }

  /** Lets answers being computed go out for up to `timeoutMs`, then closes all. */
  async close(timeoutMs: number): Promise<void> {
    await Promise.all([
      this.#dgram.close(timeoutMs),
      this.#ctl?.close(timeoutMs),
      this.#fifo?.close(timeoutMs),
    ]);
    await this.#metrics?.close();
  }
}
