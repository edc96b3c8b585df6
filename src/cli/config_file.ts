/**
 * The `--config` file: JSON with comments (read by `jsonc-parser`), one
 * object holding `script`, `tasks` and any host option under its long name.
 * Every mistake is one {@link ConfigError} that starts with `FILE:LINE:COL:`.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { createScanner, type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import { ConfigError } from "../base/errors.ts";
import type { GivenTask } from "../config/exec_spec.ts";
import { HOST_OPTIONS, type HostOption, type RawValue } from "./host_options.ts";
import { fileTask, jsonKind, type JsonNode } from "./config_tasks.ts";
import { MAX_CONFIG_BYTES, readUserFile } from "./user_file.ts";
import { quoteValue } from "../shared/quote.ts";

/** A value read from the file, and where it stands there (`FILE:LINE:COL`). */
export interface FileValue {
  /** The value in the command line's form. */
  readonly raw: RawValue;
  /** Where it stands: `FILE:LINE:COL`. */
  readonly where: string;
}

/** What a config file holds. */
export interface ConfigFile {
  /** The path as given. */
  readonly path: string;
  /** The script, relative paths resolved against the file's directory. */
  readonly script?: FileValue & { readonly raw: string };
  /** The tasks, in order, with where each stands. */
  readonly tasks: readonly GivenTask[];
  /** The host options it sets, by long name, in the command line's form. */
  readonly values: ReadonlyMap<string, FileValue>;
}

/** Positions in a text as `LINE:COL`, both from 1. */
export class TextPositions {
  #starts: number[] = [0];

  /** Indexes the line starts of `text`. */
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text[i] === "\n") this.#starts.push(i + 1);
  }

  /** `LINE:COL` of `offset`. */
  at(offset: number): string {
    let line = 0;
    while (line + 1 < this.#starts.length && this.#starts[line + 1] <= offset) line++;
    return `${line + 1}:${offset - this.#starts[line] + 1}`;
  }
}

/** The keys a config file may hold, in the order the errors list them. */
export function fileKeys(): string[] {
  return [
    "script",
    "tasks",
    ...HOST_OPTIONS.filter((o) => o.json !== "none").map((o) => o.name),
  ];
}

/**
 * The deepest nesting a config file may have: its own shape needs 3, and
 * `jsonc-parser`'s tree is built by recursion (5,000 levels overflowed the
 * stack: exit 1, "Maximum call stack size exceeded").
 */
export const MAX_CONFIG_DEPTH = 64;

/** `jsonc-parser`'s `SyntaxKind` values (a const enum, which isolated modules cannot read). */
const TOKEN = { open: [1, 3], close: [2, 4], eof: 17 } as const;

/** The offset of the first bracket nested deeper than {@link MAX_CONFIG_DEPTH}, or -1. */
function tooDeep(text: string): number {
  const scanner = createScanner(text, false);
  let depth = 0;
  for (let kind: number = scanner.scan(); kind !== TOKEN.eof; kind = scanner.scan()) {
    if (kind === TOKEN.open[0] || kind === TOKEN.open[1]) {
      if (++depth > MAX_CONFIG_DEPTH) return scanner.getTokenOffset();
    } else if (kind === TOKEN.close[0] || kind === TOKEN.close[1]) {
      depth--;
    }
  }
  return -1;
}

function syntaxError(error: ParseError): string {
  const words = printParseErrorCode(error.error).replace(/([a-z])([A-Z])/g, "$1 $2");
  return `syntax error: ${words.toLowerCase()}`;
}

/** Reads and checks the config file at `path`; throws a {@link ConfigError} on any mistake. */
export function readConfigFile(path: string): ConfigFile {
  const text = readUserFile(path, "config file", MAX_CONFIG_BYTES);
  const positions = new TextPositions(text);
  const where = (node: JsonNode) => `${path}:${positions.at(node.offset)}`;
  const deep = tooDeep(text);
  if (deep >= 0) {
    throw new ConfigError(
      `${path}:${positions.at(deep)}: nested deeper than ${MAX_CONFIG_DEPTH} levels`,
    );
  }
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    throw new ConfigError(`${path}:${positions.at(errors[0].offset)}: ${syntaxError(errors[0])}`);
  }
  if (root === undefined || root.type !== "object") {
    throw new ConfigError(`${path}:1:1: the file must hold one JSON object ({ … })`);
  }
  const dir = dirname(path);
  const seen = new Map<string, JsonNode>();
  const values = new Map<string, FileValue>();
  const tasks: GivenTask[] = [];
  let script: (FileValue & { raw: string }) | undefined;
  for (const property of root.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    const key = String(keyNode.value);
    const fail = (node: JsonNode, problem: string): never => {
      throw new ConfigError(`${where(node)}: ${problem}`);
    };
    const earlier = seen.get(key);
    if (earlier) {
      fail(
        keyNode,
        `key ${quoteValue(key)} is given twice (first at ${positions.at(earlier.offset)})`,
      );
    }
    seen.set(key, keyNode);
    if (valueNode === undefined) fail(keyNode, `${quoteValue(key)} has no value`);
    if (key === "script") {
      if (valueNode.type !== "string" || valueNode.value === "") {
        fail(valueNode, `"script" must be a non-empty string (a path), got ${jsonKind(valueNode)}`);
      }
      const raw = String(valueNode.value);
      script = { raw: raw.startsWith("file:") ? raw : resolve(dir, raw), where: where(valueNode) };
      continue;
    }
    if (key === "tasks") {
      if (valueNode.type !== "array") {
        fail(valueNode, `"tasks" must be an array of specs or objects, got ${jsonKind(valueNode)}`);
      }
      (valueNode.children ?? []).forEach((element, i) => {
        tasks.push({ task: fileTask(element, `tasks[${i}]`, fail), where: where(element) });
      });
      continue;
    }
    const option = HOST_OPTIONS.find((o) => o.name === key && o.json !== "none");
    if (option === undefined) {
      fail(keyNode, `unknown key ${quoteValue(key)} (expected ${fileKeys().join(", ")})`);
    }
    values.set(key, { raw: optionValue(option!, valueNode, dir, fail), where: where(valueNode) });
  }
  return { path, script, tasks, values };
}

/** The value of `option` in the command line's form, its type checked. */
function optionValue(
  option: HostOption,
  node: JsonNode,
  dir: string,
  fail: (node: JsonNode, problem: string) => never,
): RawValue {
  const name = option.name;
  const near = (value: string) => option.fileRelative ? option.fileRelative(value, dir) : value;
  switch (option.kind) {
    case "switch":
      if (node.type !== "boolean") {
        fail(node, `"${name}" must be true or false, got ${jsonKind(node)}`);
      }
      return node.value as boolean;
    case "list": {
      const items = node.children ?? [];
      if (node.type !== "array" || items.some((item) => item.type !== "string")) {
        fail(node, `"${name}" must be an array of strings`);
      }
      return items.map((item) => near(String(item.value)));
    }
    case "value":
      if (option.json === "number") {
        if (node.type !== "number") fail(node, `"${name}" must be a number, got ${jsonKind(node)}`);
        return String(node.value);
      }
      if (node.type !== "string") fail(node, `"${name}" must be a string, got ${jsonKind(node)}`);
      return near(String(node.value));
  }
}
