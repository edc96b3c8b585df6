/**
 * One element of a config file's `tasks`: a spec string, or an object with
 * the spec's keys. An object is written as a spec and read by the same
 * parser, so every key (and every check) is the same in both forms.
 *
 * @module
 */

import type { Node } from "jsonc-parser";
import { ExecSpecError, type ExecTask, parseExecSpec, SPEC_KEYS } from "../config/exec_spec.ts";
import { quoteValue } from "../shared/quote.ts";

/** The spec keys whose values are whole numbers; the others are strings. */
const NUMBER_KEYS: ReadonlySet<string> = new Set([
  "wait",
  "workers",
  "backoff",
  "backoff_max",
  "max_restarts",
  "restart_window",
  "heap",
]);

/** Throws the error of `problem`, located at `node`. */
export type Fail = (node: Node, problem: string) => never;

/** What a JSON value is, for errors: `a string`, `a number`, `an array`… */
export function jsonKind(node: Node): string {
  return node.type === "array" || node.type === "object" ? `an ${node.type}` : `a ${node.type}`;
}

/**
 * Reads one task element (`label` is `tasks[i]` in errors); throws through
 * `fail` at the element, or at the key an object's problem is about.
 */
export function fileTask(node: Node, label: string, fail: Fail): ExecTask {
  if (node.type === "string") return parse(String(node.value), node, label, fail, new Map());
  if (node.type !== "object") {
    return fail(node, `${label} must be a spec string or an object, got ${jsonKind(node)}`);
  }
  const items: string[] = [];
  const nodes = new Map<string, Node>();
  for (const property of node.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    const key = String(keyNode.value);
    if (!(SPEC_KEYS as readonly string[]).includes(key)) {
      fail(keyNode, `${label}: unknown key ${quoteValue(key)} (expected ${SPEC_KEYS.join(", ")})`);
    }
    if (nodes.has(key)) fail(keyNode, `${label}: key "${key}" is given twice`);
    if (valueNode === undefined) return fail(keyNode, `${label}.${key} has no value`);
    nodes.set(key, valueNode);
    const number = NUMBER_KEYS.has(key);
    if (valueNode.type !== (number ? "number" : "string")) {
      fail(
        valueNode,
        `${label}.${key} must be ${number ? "a number" : "a string"}, got ${jsonKind(valueNode)}`,
      );
    }
    const value = String(valueNode.value);
    if (value.includes(";")) fail(valueNode, `${label}.${key} must not contain ";"`);
    items.push(`${key}=${value}`);
  }
  return parse(items.join(";"), node, label, fail, nodes);
}

/** Parses `spec`; a problem about a key of an object points at that key's value. */
function parse(
  spec: string,
  node: Node,
  label: string,
  fail: Fail,
  nodes: ReadonlyMap<string, Node>,
): ExecTask {
  try {
    return parseExecSpec(spec);
  } catch (error) {
    if (!(error instanceof ExecSpecError)) throw error;
    const key = [...nodes.keys()].find((key) => error.problem.startsWith(`${key} `));
    if (nodes.size > 0) return fail(key ? nodes.get(key)! : node, `${label}: ${error.problem}`);
    return fail(node, `${label}: ${error.message}`);
  }
}
