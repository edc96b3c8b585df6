/**
 * Pseudo-variables for `KSR.pv`: `$evr(data|srcip|srcport|srcportno)` from
 * the current call and `$var(name)`, private to the worker.
 *
 * @module
 */

import type { EvrValues, KsrPv, PvValue } from "./types.ts";

const EVR_KEYS = ["data", "srcip", "srcport", "srcportno"] as const;
const SUPPORTED = "$evr(data), $evr(srcip), $evr(srcport), $evr(srcportno), $var(NAME)";

function parse(name: unknown): { kind: "evr" | "var"; key: string } {
  const match = typeof name === "string" ? /^\$(evr|var)\(([^()]+)\)$/.exec(name.trim()) : null;
  if (match === null) {
    throw new Error(`unknown pseudo-variable ${JSON.stringify(name)} (supported: ${SUPPORTED})`);
  }
  const kind = match[1] as "evr" | "var";
  const key = match[2].trim();
  if (kind === "evr" && !(EVR_KEYS as readonly string[]).includes(key)) {
    throw new Error(`unknown pseudo-variable "$evr(${key})" (supported: ${SUPPORTED})`);
  }
  return { kind, key };
}

function varName(name: string, op: string): string {
  const pv = parse(name);
  if (pv.kind !== "var") throw new Error(`KSR.pv.${op}: ${name} is read-only`);
  return pv.key;
}

/**
 * Creates `KSR.pv` over `$evr` values and a private `$var` store.
 *
 * @param evr The current call's `$evr` values (updated in place by the host).
 * @returns The `KSR.pv` object.
 */
export function createPv(evr: EvrValues): KsrPv {
  const vars = new Map<string, string | number>();
  const get = (name: string): PvValue => {
    const pv = parse(name);
    if (pv.kind === "var") return vars.get(pv.key) ?? null;
    return evr[pv.key as keyof EvrValues];
  };
  return {
    get,
    gete: (name) => get(name) ?? "",
    is_null: (name) => get(name) === null,
    sets(name, value) {
      vars.set(varName(name, "sets"), String(value));
    },
    seti(name, value) {
      const key = varName(name, "seti");
      if (!Number.isInteger(value)) {
        throw new Error(`KSR.pv.seti: ${name} needs an integer, got ${String(value)}`);
      }
      vars.set(key, value);
    },
    unset(name) {
      vars.delete(varName(name, "unset"));
    },
  };
}
