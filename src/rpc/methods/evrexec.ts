/**
 * `evrexec.*` methods: run a function, list the tasks.
 *
 * @module
 */

import type { HostView } from "../../host/view.ts";
import { JsonText } from "../jsonrpc.ts";
import type { MethodTable, RpcMethod } from "../method_table.ts";
import { RpcCode, RpcError } from "../errors.ts";
import { exportedFunctions } from "../../host/script_exports.ts";
import { stringParam } from "./params.ts";
import { poolStuckInfo, taskInfo } from "./task_views.ts";
import { quoteValue } from "../../shared/quote.ts";

/** Data as the function receives it: strings as they are, the rest as JSON. */
function dataText(data: unknown): string {
  if (data === undefined) return "";
  return typeof data === "string" ? data : JSON.stringify(data);
}

/** Adds `evrexec.run` (also `evroute.run`) and `evrexec.list` to `table`. */
export function addEvrexecMethods(table: MethodTable, host: HostView): void {
  const run: RpcMethod = {
    params: [{ name: "name" }, { name: "data", optional: true }],
    help: 'Runs an exported function once with data (default "") and answers its return value.',
    async call(values, signal) {
      const name = stringParam(values, "name");
      if (!host.pool.exports(name)) {
        if (host.stats.counting) host.stats.unknownFunctions++;
        throw new RpcError(
          RpcCode.INVALID_PARAMS,
          `unknown function ${quoteValue(name)} (${exportedFunctions(host.pool.functions)})`,
        );
      }
      const counts = host.stats.counting ? host.stats.function(name) : null;
      if (counts === null) {
        return new JsonText(await host.pool.run(name, dataText(values.data), signal));
      }
      const started = counts.begin();
      try {
        const json = await host.pool.run(name, dataText(values.data), signal);
        counts.ended(started);
        return new JsonText(json);
      } catch (error) {
        counts.ended(started, error);
        throw error;
      }
    },
  };
  table.set("evrexec.run", run);
  table.set("evroute.run", run);
  table.set("evrexec.list", {
    params: [],
    help:
      "Each exec task: its state, spec and restart policy, its workers with their states, and a timer task's schedule and ticks; then the RPC pool while it has stuck workers.",
    call: () => {
      const pool = poolStuckInfo(host.pool);
      return pool === null
        ? host.supervisors.map(taskInfo)
        : [...host.supervisors.map(taskInfo), pool];
    },
  });
}
