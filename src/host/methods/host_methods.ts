/**
 * Every RPC method of a host, in one table: `evrexec.*`, task control,
 * the log file's reopen, `core.*`, `stats.*`, the live figures and `system.*`.
 *
 * @module
 */

import type { HostView } from "../host_access.ts";
import type { MethodCaller } from "../../rpc/jsonrpc.ts";
import { addSystemMethods, methodCaller, type MethodTable } from "../../rpc/dispatch.ts";
import { addCoreMethods } from "./core.ts";
import { addEvrexecMethods } from "./evrexec.ts";
import { addLogReopenMethod } from "./log_reopen.ts";
import { addObserveMethods } from "./live_figures.ts";
import { addStatsMethods } from "./stats.ts";
import { addTaskControlMethods } from "./task_control.ts";

/** The methods `host` serves, ready to call. */
export function hostMethods(host: HostView): MethodCaller {
  const table: MethodTable = new Map();
  addEvrexecMethods(table, host);
  addTaskControlMethods(table, host);
  addLogReopenMethod(table);
  addCoreMethods(table, host);
  addStatsMethods(table, host);
  addObserveMethods(table, host);
  addSystemMethods(table);
  return methodCaller(table);
}
