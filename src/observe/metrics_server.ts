/**
 * The HTTP listener of `--metrics HOST:PORT`: `GET /metrics` in the
 * Prometheus text format (as Kamailio's xhttp_prom serves it) and
 * `GET /healthz` (200, or 503 with the reasons in one line). prom-client is
 * loaded only when this listener starts.
 *
 * @module
 */

import { log } from "../base/log.ts";
import { ConfigError } from "../base/errors.ts";
import { messageOf } from "../shared/error_text.ts";
import type { HostPort } from "../base/host_port.ts";
import { healthOf } from "./health.ts";
import type { MetricsSource } from "./prom_families.ts";

/** A running metrics listener. */
export interface MetricsServer {
  /** The port it listens on (the one given, or the one chosen for port 0). */
  readonly port: number;
  /** Stops listening; requests in progress finish. */
  close(): Promise<void>;
}

const TEXT = { "content-type": "text/plain; charset=utf-8" };

/** Starts serving; throws a {@link ConfigError} when the address cannot be bound. */
export async function startMetricsServer(
  address: HostPort,
  host: MetricsSource,
): Promise<MetricsServer> {
  const { metricsRegistry } = await import("./prometheus.ts");
  const registry = metricsRegistry(host);
  const shown = address.host.includes(":") ? `[${address.host}]` : address.host;
  const handler = async (request: Request): Promise<Response> => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("only GET\n", { status: 405, headers: { ...TEXT, allow: "GET, HEAD" } });
    }
    const path = new URL(request.url).pathname;
    if (path === "/metrics") {
      return new Response(await registry.metrics(), {
        headers: { "content-type": registry.contentType },
      });
    }
    if (path === "/healthz") {
      const health = healthOf(host, host.workers.stuck, host.pool.stuck.state);
      return new Response(health.reason + "\n", { status: health.ok ? 200 : 503, headers: TEXT });
    }
    return new Response("not found: GET /metrics or /healthz\n", { status: 404, headers: TEXT });
  };
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: address.host,
      port: address.port,
      onListen() {},
      onError(error) {
        log("metrics").error("answering a metrics request failed: {error}", { error });
        return new Response("internal error\n", { status: 500, headers: TEXT });
      },
    }, handler);
  } catch (error) {
    throw new ConfigError(
      `--metrics ${shown}:${address.port}: cannot listen: ${messageOf(error)}`,
    );
  }
  const { hostname: bound, port } = server.addr;
  log("metrics").info("metrics on http://{address}/metrics, health on /healthz", {
    address: `${bound.includes(":") ? `[${bound}]` : bound}:${port}`,
  });
  return { port, close: () => server.shutdown() };
}
