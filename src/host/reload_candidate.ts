/**
 * A new version of the script, loaded and checked before it takes over: it
 * type-checks (under `--check`), loads in every worker of a fresh RPC pool
 * (so that a file saved again meanwhile cannot leave the pool with two
 * versions), and names every exec task's function; on any failure the pool
 * is discarded and the error is a -32003 that says the running version is
 * kept.
 *
 * @module
 */

import type { TypeChecker } from "../dev/type_check.ts";
import { RpcPool } from "../pool/pool.ts";
import type { RpcError } from "../rpc/errors.ts";
import { reloadFailed } from "./host_errors.ts";
import { errorLine, messageOf } from "../shared/error_text.ts";
import type { ErrorInfo } from "../shared/messages.ts";
import type { HostConfig } from "../config/host_config.ts";
import { missingFunction } from "./script_exports.ts";
import type { SpawnContext } from "../spawn/spawn_context.ts";
import { refreshChildren } from "../spawn/spawn_context.ts";
import { checkNextSandboxes } from "../spawn/sandbox_check.ts";
import { ConfigError } from "../base/errors.ts";

/** A version ready to take over: its pool (first worker loaded) and its functions. */
export interface NextVersion {
  /** The new pool, its first worker loaded. */
  readonly pool: RpcPool;
  /** The new version's exported functions. */
  readonly functions: readonly string[];
}

/** A new RPC pool for `config`, its workers not started yet. */
export function newPool(config: HostConfig, context: SpawnContext): RpcPool {
  return new RpcPool({
    size: config.rpcWorkers,
    queueLimit: config.rpcQueue,
    timeoutMs: config.rpcTimeoutMs,
    sandbox: config.rpcSandbox,
  }, context);
}

/**
 * Loads and checks the script on disk now. Rejects with a -32003
 * {@link RpcError}, or with `abort()`'s error when it returns one after the
 * load (the host began stopping meanwhile); nothing is left running then.
 */
export async function loadNextVersion(
  config: HostConfig,
  context: SpawnContext,
  checker: TypeChecker | null,
  abort: () => RpcError | null,
): Promise<NextVersion> {
  const typeErrors = await checker?.failure();
  if (typeErrors) throw reloadFailed(typeErrors);
  await checkNextSandboxes(config).catch((error) => {
    throw error instanceof ConfigError ? reloadFailed(error.message) : error;
  });
  await refreshChildren(config, context).catch((error) => {
    throw reloadFailed(messageOf(error));
  });
  const pool = newPool(config, context);
  let functions: readonly string[];
  try {
    functions = await pool.load();
  } catch (error) {
    pool.discard();
    throw reloadFailed(`cannot load script: ${errorLine(error as ErrorInfo)}`);
  }
  const missing = missingFunction(config.tasks, functions);
  let problem = abort() ?? (missing === null ? null : reloadFailed(missing));
  if (problem === null) {
    problem = await pool.loadRest().then(
      () => abort(),
      (error: ErrorInfo) => reloadFailed(`cannot load script in every worker: ${errorLine(error)}`),
    );
  }
  if (problem !== null) {
    pool.discard();
    throw problem;
  }
  return { pool, functions };
}
