/**
 * One element of a config file's `tasks`: a spec string, or an object with
 * the spec's keys. An object hands its keys over as the spec's items, each
 * value checked against the JSON type its key takes (`SPEC_KEY_KINDS`), and
 * the same reader as the string's reads them, so every key (and every
 * check) is the same in both forms; an error about one key points at its
 * value.
 *
 * @module
 */

import {
  ExecSpecError,
  type ExecTask,
  parseExecSpec,
  readExecTask,
  SPEC_KEY_KINDS,
  SPEC_KEYS,
  type SpecKey,
} from "../config/exec_spec.ts";
import { specValue } from "../config/spec_items.ts";
import { quoteValue } from "../shared/quote.ts";

/** A node of a parsed JSONC file, as `jsonc-parser`'s tree gives it (the parts read here). */
export interface JsonNode {
  /** `object`, `array`, `property`, `string`, `number`, `boolean` or `null`. */
  readonly type: string;
  /** A literal's value. */
  readonly value?: unknown;
  /** Where it starts in the text, for `FILE:LINE:COL`. */
  readonly offset: number;
  /** An object's properties, an array's elements, a property's key and value. */
  readonly children?: readonly JsonNode[];
}
/** Throws the error of `problem`, located at `node`. */
export type Fail = (node: JsonNode, problem: string) => never;

/** What a JSON value is, for errors: `a string`, `a number`, `an array`… */
export function jsonKind(node: JsonNode): string {
  return node.type === "array" || node.type === "object" ? `an ${node.type}` : `a ${node.type}`;
}

function isSpecKey(key: string): key is SpecKey {
  return (SPEC_KEYS as readonly string[]).includes(key);
}

/**
 * Reads one task element (`label` is `tasks[i]` in errors); throws through
 * `fail` at the element, or at the value of the key an object's problem is about.
 */
export function fileTask(node: JsonNode, label: string, fail: Fail): ExecTask {
  if (node.type === "string") {
    try {
      return parseExecSpec(String(node.value));
    } catch (error) {
      if (error instanceof ExecSpecError) return fail(node, `${label}: ${error.message}`);
      throw error;
    }
  }
  if (node.type !== "object") {
    return fail(node, `${label} must be a spec string or an object, got ${jsonKind(node)}`);
  }
  const items = new Map<SpecKey, string>();
  const nodes = new Map<string, JsonNode>();
  for (const property of node.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    const key = String(keyNode.value);
    if (!isSpecKey(key)) {
      return fail(
        keyNode,
        `${label}: unknown key ${quoteValue(key)} (expected ${SPEC_KEYS.join(", ")})`,
      );
    }
    if (nodes.has(key)) fail(keyNode, `${label}: key "${key}" is given twice`);
    if (valueNode === undefined) return fail(keyNode, `${label}.${key} has no value`);
    nodes.set(key, valueNode);
    const number = SPEC_KEY_KINDS[key] === "integer";
    if (valueNode.type !== (number ? "number" : "string")) {
      fail(
        valueNode,
        `${label}.${key} must be ${number ? "a number" : "a string"}, got ${jsonKind(valueNode)}`,
      );
    }
    items.set(key, specValue(String(valueNode.value)));
  }
  // As people read it (evrexec.list); a value holding a `;` in quotes, so that it reads as one.
  const spec = [...items].map(([key, value]) =>
    `${key}=${value.includes(";") ? `"${value}"` : value}`
  ).join(";");
  try {
    return readExecTask(items, spec);
  } catch (error) {
    if (!(error instanceof ExecSpecError)) throw error;
    const at = error.key === undefined ? undefined : nodes.get(error.key);
    return fail(at ?? node, `${label}: ${error.problem}`);
  }
}
