/**
 * The RPC method methods: each method's params, help text and handler, and
 * the caller that checks params before it calls a handler.
 *
 * @module
 */

import type { MethodCaller } from "./jsonrpc.ts";
import { type ParamSpec, paramUsage, readParams } from "./params.ts";
import { RpcCode, RpcError } from "./errors.ts";
import { clipText } from "../shared/quote.ts";

/** One RPC method. */
export interface RpcMethod {
  /** The params it takes, in positional order. */
  readonly params: readonly ParamSpec[];
  /** One line for `system.methodHelp`. */
  readonly help: string;
  /** Handles a call; `values` are the params by name; `signal` aborts when the client goes. */
  call(values: Record<string, unknown>, signal?: AbortSignal): unknown;
}

/** Methods by name. */
export type MethodMap = Map<string, RpcMethod>;

/** A caller over `methods`: unknown method → -32601, bad params → -32602. */
export function methodCaller(methods: MethodMap): MethodCaller {
  return (name, params, signal) => {
    const method = methods.get(name);
    if (method === undefined) {
      throw new RpcError(
        RpcCode.METHOD_NOT_FOUND,
        `method not found: ${clipText(name)} (system.listMethods lists them)`,
      );
    }
    return method.call(readParams(name, params, method.params), signal);
  };
}

/** Adds `system.listMethods` and `system.methodHelp` to `methods`. */
export function addSystemMethods(methods: MethodMap): void {
  methods.set("system.listMethods", {
    params: [],
    help: "Lists the methods this host answers.",
    call: () => [...methods.keys()].sort(),
  });
  methods.set("system.methodHelp", {
    params: [{ name: "name" }],
    help: "Tells what a method does and which params it takes.",
    call({ name }) {
      const method = typeof name === "string" ? methods.get(name) : undefined;
      if (method === undefined) {
        throw new RpcError(RpcCode.INVALID_PARAMS, `no such method: ${clipText(String(name))}`);
      }
      const usage = paramUsage(method.params);
      return `${name}${usage ? " " + usage : ""}: ${method.help}`;
    },
  });
}
