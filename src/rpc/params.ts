/**
 * Reads a method's params, positional or named, into values by name.
 *
 * @module
 */

import type { RpcParams } from "./jsonrpc.ts";
import { RpcCode, RpcError } from "./errors.ts";
import { quoteValue } from "../shared/quote.ts";

/** A param a method takes: its name and whether it may be left out. */
export interface ParamSpec {
  /** The param's name. */
  readonly name: string;
  /** True when the param may be left out. */
  readonly optional?: boolean;
  /** The last param only: it takes every remaining positional param, as an array. */
  readonly rest?: boolean;
}

/** The params as a usage line shows them: `name [data]`; empty when there are none. */
export function paramUsage(specs: readonly ParamSpec[]): string {
  return specs.map((p) => {
    const name = p.rest ? `${p.name}...` : p.name;
    return p.optional ? `[${name}]` : name;
  }).join(" ");
}

/** Bad params: a -32602 error with `message`. */
export function badParams(message: string): RpcError {
  return new RpcError(RpcCode.INVALID_PARAMS, `invalid params: ${message}`);
}

/**
 * Returns the params as a record by name, whether given as an array or an
 * object. Throws -32602 on a missing, extra or unknown param.
 */
export function readParams(
  method: string,
  params: RpcParams,
  specs: readonly ParamSpec[],
): Record<string, unknown> {
  // Only an error shows the usage: it is not built for a call that is right.
  const usage = () =>
    specs.length === 0 ? `${method} takes no params` : `${method} takes ${paramUsage(specs)}`;
  const values: Record<string, unknown> = {};
  const rest = specs.at(-1)?.rest ? specs.at(-1) : undefined;
  if (Array.isArray(params) && rest !== undefined) {
    params = [...params.slice(0, specs.length - 1), params.slice(specs.length - 1)];
  }
  if (Array.isArray(params)) {
    if (params.length > specs.length) throw badParams(`too many params; ${usage()}`);
    specs.forEach((spec, i) => {
      if (i < params.length) values[spec.name] = params[i];
    });
  } else if (params !== undefined) {
    for (const key of Object.keys(params)) {
      if (!specs.some((spec) => spec.name === key)) {
        throw badParams(`unknown param ${quoteValue(key)}; ${usage()}`);
      }
      values[key] = (params as Record<string, unknown>)[key];
    }
  }
  for (const spec of specs) {
    if (!spec.optional && values[spec.name] === undefined) {
      throw badParams(`missing ${spec.name}; ${usage()}`);
    }
  }
  return values;
}

/** Reads a param that must be a string. */
export function stringParam(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== "string") throw badParams(`${name} must be a string`);
  return value;
}
