/**
 * Test helpers for the `--metrics` listener: `GET /healthz` and
 * `GET /metrics` on a port the host logged.
 *
 * @module
 */

/** Status and body of `GET /healthz` on 127.0.0.1:`port`. */
export async function health(port: string): Promise<[number, string]> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`);
  return [response.status, await response.text()];
}

/** The text of `GET /metrics` on 127.0.0.1:`port`. */
export async function metricsText(port: string): Promise<string> {
  return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}
