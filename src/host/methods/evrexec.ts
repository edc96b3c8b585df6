/**
 * `evrexec.*` methods: run a function, list the tasks. A run that fails is
 * answered with the JSON-RPC code of the pool's error kind; one that throws is
 * logged at debug (function, duration, error) and counted (`stats.ts`).
 *
 * @module
 */

import type { HostAccess } from "../host_access.ts";
import { JsonText } from "../../rpc/jsonrpc.ts";
import type { MethodMap, RpcMethod } from "../../rpc/dispatch.ts";
import { RpcCode, RpcError } from "../../rpc/errors.ts";
import { exportedFunctions } from "../script_exports.ts";
import { PoolError, type PoolErrorKind } from "../../pool/pool_error.ts";
import type { CallOutcome } from "../../observe/stats.ts";
import { stringParam } from "../../rpc/params.ts";
import { poolStuckInfo, taskInfo } from "./task_info.ts";
import { quoteValue } from "../../shared/quote.ts";
import { log } from "../../base/log.ts";
import { messageOf } from "../../shared/error_text.ts";
import { callerTraceparent, startRunSpan } from "./run_span.ts";

/** The JSON-RPC code of each way a pool call fails. */
const POOL_CODES: Readonly<Record<PoolErrorKind, number>> = {
  busy: RpcCode.BUSY,
  timeout: RpcCode.TIMEOUT,
  threw: RpcCode.FUNCTION_FAILED,
  "not-json": RpcCode.INTERNAL_ERROR,
  lost: RpcCode.INTERNAL_ERROR,
  refused: RpcCode.REFUSED_STUCK,
};

/**
 * The JSON-RPC error that answers a failed run: a {@link PoolError} by its
 * kind (a function that threw carries its error's name and stack as `data`);
 * anything else as it is.
 */
export function runFailure(error: unknown): unknown {
  if (!(error instanceof PoolError)) return error;
  const data = error.thrown && { name: error.thrown.name, stack: error.thrown.stack ?? null };
  return new RpcError(POOL_CODES[error.kind], error.message, data);
}

/** How a failed run counts in the statistics: busy and timeouts apart, every other failure an error. */
function outcomeOf(error: unknown): CallOutcome {
  if (!(error instanceof PoolError)) return "error";
  return error.kind === "busy" ? "busy" : error.kind === "timeout" ? "timeout" : "error";
}

/**
 * Whether `data` holds a number past a double's range (`JSON.parse` made it
 * Infinity). Walked with a stack of its own: data may be nested deeper than
 * a recursion would go.
 */
function holdsInfinity(data: unknown): boolean {
  const stack: unknown[] = [data];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === "number" && !Number.isFinite(value)) return true;
    if (typeof value === "object" && value !== null) {
      for (const item of Object.values(value)) stack.push(item);
    }
  }
  return false;
}

/**
 * Data as the function receives it: strings as they are, the rest as JSON
 * (`-0` as `-0`). A number past a double's range (`1e400` became Infinity,
 * which is `null` in JSON) is refused rather than passed as `null`. Digits
 * past a double's precision are lost (`123456789012345678901234567890`
 * arrives as `1.2345678901234568e+29`): such numbers belong in strings.
 *
 * @throws {RpcError} -32602 for a number past a double's range, anywhere in the data
 */
function dataText(data: unknown): string {
  if (data === undefined) return "";
  if (typeof data === "string") return data;
  if (Object.is(data, -0)) return "-0";
  const text = JSON.stringify(data);
  // Infinity is written as null: only then is the data walked.
  if (text.includes("null") && holdsInfinity(data)) {
    throw new RpcError(
      RpcCode.INVALID_PARAMS,
      "invalid params: data holds a number past a double's range, which would reach the " +
        "function as null; send it as a string",
    );
  }
  return text;
}

/** The most characters of a failed run's error the debug line shows. */
const LOGGED_ERROR_CHARS = 300;

/** A failed run's error for the debug line: its message, cut to a bound. */
function loggedError(error: unknown): string {
  const text = messageOf(error);
  return text.length > LOGGED_ERROR_CHARS ? `${text.slice(0, LOGGED_ERROR_CHARS)}…` : text;
}

/** Adds `evrexec.run` (also `evroute.run`) and `evrexec.list` to `methods`. */
export function addEvrexecMethods(methods: MethodMap, host: HostAccess): void {
  const run: RpcMethod = {
    params: [{ name: "name" }, { name: "data", optional: true }, {
      name: "metadata",
      optional: true,
    }],
    help:
      'Runs an exported function once with data (default "") and answers its return value; metadata {"traceparent": "00-…"} makes its OpenTelemetry span a child of the caller\'s.',
    async call(values, signal) {
      const name = stringParam(values, "name");
      const parent = callerTraceparent(values.metadata);
      if (!host.pool.exports(name)) {
        if (host.stats.counting) host.stats.unknownFunctions++;
        throw new RpcError(
          RpcCode.INVALID_PARAMS,
          `unknown function ${quoteValue(name)} (${exportedFunctions(host.pool.functions)})`,
        );
      }
      const data = dataText(values.data);
      const counts = host.stats.counting ? host.stats.function(name) : null;
      const started = counts?.begin() ?? performance.now();
      const span = startRunSpan(name, parent);
      try {
        const json = await host.pool.run(name, data, signal, span?.trace);
        counts?.ended(started);
        span?.end();
        return new JsonText(json);
      } catch (thrown) {
        const error = runFailure(thrown);
        counts?.ended(started, outcomeOf(thrown));
        span?.end(thrown);
        log("rpc").debug("evrexec.run {name} failed after {ms} ms: {error}", {
          name,
          ms: Math.round(performance.now() - started),
          error: loggedError(error),
          code: error instanceof RpcError ? error.code : RpcCode.INTERNAL_ERROR,
        });
        throw error;
      }
    },
  };
  methods.set("evrexec.run", run);
  methods.set("evroute.run", run);
  methods.set("evrexec.list", {
    params: [],
    help:
      "Each exec task: its state, spec and restart policy, its workers with their states, and a timer task's schedule and ticks; then the RPC pool while it has stuck workers.",
    call: () => {
      const pool = poolStuckInfo(host.pool);
      const tasks = host.supervisors.map((s) => taskInfo(s, host.fleet));
      return pool === null ? tasks : [...tasks, pool];
    },
  });
}
