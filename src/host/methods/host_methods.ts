/**
 * Every RPC method of a host, in one methods: `evrexec.*`, task control,
 * the log file's reopen, `core.*`, `stats.*`, the live figures and `system.*`.
 *
 * @module
 */

import type { HostAccess } from "../host_access.ts";
import type { MethodCaller } from "../../rpc/jsonrpc.ts";
import { addSystemMethods, methodCaller, type MethodMap } from "../../rpc/dispatch.ts";
import { addCoreMethods } from "./core.ts";
import { addEvrexecMethods } from "./evrexec.ts";
import { addClusterMethods } from "./cluster.ts";
import { addLogReopenMethod } from "./log_reopen.ts";
import { addObserveMethods } from "./live_figures.ts";
import { addStatsMethods } from "./stats.ts";
import { addTaskControlMethods } from "./task_control.ts";

/** The methods `host` serves, ready to call. */
export function hostMethods(host: HostAccess): MethodCaller {
  const methods: MethodMap = new Map();
  addEvrexecMethods(methods, host);
  addClusterMethods(methods, host);
  addTaskControlMethods(methods, host);
  addLogReopenMethod(methods);
  addCoreMethods(methods, host);
  addStatsMethods(methods, host);
  addObserveMethods(methods, host);
  addSystemMethods(methods);
  return methodCaller(methods);
}
