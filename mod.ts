/**
 * evrexec for Deno: runs exec tasks of a KEMI script (TypeScript) in
 * dedicated Web Workers and serves RPC on a Unix socket, as Kamailio's
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

export { ConfigError, EXIT_FATAL, EXIT_OK, EXIT_USAGE } from "./src/errors.ts";
export { ExecSpecError, type ExecTask, parseExecSpec } from "./src/exec_spec.ts";
export { Host, type HostConfig } from "./src/host.ts";
export { main, parseCli } from "./src/cli.ts";
export { defaultSocketPath } from "./src/rpc_socket.ts";
export { RpcClient, type RpcResponse } from "./src/rpc_client.ts";
export { RpcCode, RpcError } from "./src/rpc_errors.ts";

if (import.meta.main) {
  const { main } = await import("./src/cli.ts");
  Deno.exit(await main(Deno.args));
}
