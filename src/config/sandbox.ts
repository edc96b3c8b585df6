/**
 * A task's (or the RPC pool's) sandbox as its spec gives it: `isolation`,
 * `heap` and the `allow-*` keys named after Deno's flags, read and checked
 * here, and resolved against `--worker-heap` into what a worker is started with.
 *
 * @module
 */

import { resolve } from "node:path";
import { ConfigError } from "../base/errors.ts";
import { readChoice, readInteger } from "../base/values.ts";
import { quoteValue } from "../shared/quote.ts";
import { atKey, type KeyKind, SpecKeyError } from "./spec_items.ts";

/**
 * Where a worker runs: a thread of the host, a child `deno run` process, or
 * one invocation among others in a thread its group shares (`shared`).
 */
export type Isolation = "thread" | "process" | "shared";
/** The isolations, as the spec spells them. */
export const ISOLATIONS: readonly Isolation[] = ["thread", "process", "shared"];
/** A group name: what `group=` takes. */
const GROUP_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The permission kinds, as Deno's `--allow-*` flags name them. */
export const PERMISSION_KINDS = [
  "read",
  "write",
  "net",
  "env",
  "run",
  "sys",
  "ffi",
  "import",
] as const;
/** One permission kind. */
export type PermissionKind = typeof PERMISSION_KINDS[number];
/** A grant of one kind: all of it (`*`) or the listed paths, hosts, names. */
export type Grant = "*" | readonly string[];
/** What a sandboxed worker may do: the kinds named, nothing else. */
export type Permissions = Readonly<Partial<Record<PermissionKind, Grant>>>;

/** The spec keys of a sandbox. */
export const SANDBOX_KEYS = [
  "isolation",
  "group",
  "heap",
  ...PERMISSION_KINDS.map((kind) => `allow-${kind}` as const),
] as const;
/** A spec key of a sandbox. */
export type SandboxKey = typeof SANDBOX_KEYS[number];

/** What each sandbox key's value is. */
export const SANDBOX_KEY_KINDS = {
  isolation: "text",
  group: "text",
  heap: "integer",
  "allow-read": "text",
  "allow-write": "text",
  "allow-net": "text",
  "allow-env": "text",
  "allow-run": "text",
  "allow-sys": "text",
  "allow-ffi": "text",
  "allow-import": "text",
} as const satisfies Record<SandboxKey, KeyKind>;

/** The sandbox as the spec gives it, before `--worker-heap` applies. */
export interface SandboxSpec {
  /** Thread (default), child process, or an invocation in a shared thread. */
  readonly isolation: Isolation;
  /** `isolation=shared`: the group whose thread it shares (`group=`); unset: its task's own. */
  readonly group?: string;
  /** `heap=` in MiB (0: no cap), or null: `--worker-heap` decides. */
  readonly heapMiB: number | null;
  /** The `allow-*` keys given, or null: none given, the host's permissions apply. */
  readonly permissions: Permissions | null;
}

/** What a worker is started with. */
export interface Sandbox {
  /** Thread, child process, or an invocation in a shared thread. */
  readonly isolation: Isolation;
  /** `isolation=shared`: the group whose thread it shares; unset: its task's own. */
  readonly group?: string;
  /** Heap cap in MiB; 0: none. */
  readonly heapMiB: number;
  /** Exactly these permissions, or null: the host's. */
  readonly permissions: Permissions | null;
}

/** The smallest heap cap, in MiB: less leaves V8 no room to load a script. */
export const MIN_HEAP_MIB = 16;
/** The largest heap cap, in MiB. */
export const MAX_HEAP_MIB = 65_536;
/** A sandbox that changes nothing: a thread with the host's permissions, uncapped. */
export const NO_SANDBOX: SandboxSpec = { isolation: "thread", heapMiB: null, permissions: null };

/** The sys kinds Deno's `--allow-sys` takes. */
const SYS_KINDS = [
  "hostname",
  "osRelease",
  "osUptime",
  "loadavg",
  "networkInterfaces",
  "systemMemoryInfo",
  "uid",
  "gid",
  "cpus",
  "homedir",
  "getegid",
  "statfs",
  "getPriority",
  "setPriority",
  "userInfo",
  "username",
];

/** Reads a heap cap in MiB: 0 (none) or MIN_HEAP_MIB to MAX_HEAP_MIB; throws naming `label`. */
export function readHeap(label: string, text: string): number {
  const problem = `${label} must be 0 (no cap) or an integer from ${MIN_HEAP_MIB} to ` +
    `${MAX_HEAP_MIB} (MiB), got ${quoteValue(text)}`;
  let mib: number;
  try {
    mib = readInteger(label, text, 0, MAX_HEAP_MIB);
  } catch {
    throw new ConfigError(problem);
  }
  if (mib !== 0 && mib < MIN_HEAP_MIB) throw new ConfigError(problem);
  return mib;
}

/** Checks one item of an `allow-*` list and returns it as Deno takes it. */
function readItem(kind: PermissionKind, item: string): string | null {
  switch (kind) {
    case "read":
    case "write":
    case "ffi":
      return item.includes("\0") ? null : resolve(item);
    case "net":
    case "import": {
      const match = /^(?:\[[0-9A-Fa-f:.]+\]|[^:\s/\[\]@]+)(?::([0-9]{1,5}))?$/.exec(item);
      return match === null || Number(match[1] ?? 1) > 65535 || match[1] === "0" ? null : item;
    }
    case "env":
      return /^[^=\s\0]+$/.test(item) ? item : null;
    case "run":
      return /^[^\s\0,]+$/.test(item) ? item : null;
    case "sys":
      return SYS_KINDS.includes(item) ? item : null;
  }
}

const EXPECTED: Record<PermissionKind, string> = {
  read: "paths",
  write: "paths",
  ffi: "paths",
  net: "HOST or HOST:PORT items",
  import: "HOST or HOST:PORT items",
  env: "variable names",
  run: "program names or paths",
  sys: `sys kinds (${SYS_KINDS.join(", ")})`,
};

/** Reads the value of `allow-<kind>`: `*`, or a comma list of what the kind takes. */
export function readGrant(kind: PermissionKind, text: string): Grant {
  const key = `allow-${kind}`;
  if (text === "*") return "*";
  const items = text.split(",").map((item) => item.trim());
  if (text.trim() === "" || items.includes("")) {
    throw new ConfigError(
      `${key} needs * or a comma list of ${EXPECTED[kind]}, got ${quoteValue(text)} ` +
        "(an empty item is not allowed, as in Deno)",
    );
  }
  return items.map((item) => {
    const read = readItem(kind, item);
    if (read === null) {
      throw new ConfigError(
        `${key}: ${quoteValue(item)} is not valid (expected * or a comma list of ` +
          `${EXPECTED[kind]})`,
      );
    }
    return read;
  });
}

/**
 * Reads the sandbox keys of a spec (`found`, keys lower-cased); throws a
 * {@link SpecKeyError} naming the bad one (or a {@link ConfigError} about
 * two together).
 */
export function readSandbox(found: ReadonlyMap<string, string>): SandboxSpec {
  const isolationText = found.get("isolation");
  const isolation = isolationText === undefined
    ? "thread"
    : atKey("isolation", () => readChoice("isolation", isolationText, ISOLATIONS));
  const groupText = found.get("group");
  if (groupText !== undefined && isolation !== "shared") {
    throw new SpecKeyError("group", "group= needs isolation=shared");
  }
  if (groupText !== undefined && !GROUP_NAME.test(groupText)) {
    throw new SpecKeyError(
      "group",
      `group must be 1 to 64 letters, digits, '_', '.' or '-', got ${quoteValue(groupText)}`,
    );
  }
  const heapText = found.get("heap");
  const heapMiB = heapText === undefined ? null : atKey("heap", () => readHeap("heap", heapText));
  const given: Partial<Record<PermissionKind, Grant>> = {};
  for (const kind of PERMISSION_KINDS) {
    const text = found.get(`allow-${kind}`);
    if (text !== undefined) given[kind] = atKey(`allow-${kind}`, () => readGrant(kind, text));
  }
  const permissions = Object.keys(given).length > 0 ? given : null;
  if (isolation !== "process" && permissions !== null) {
    if (permissions.import !== undefined) {
      throw new SpecKeyError(
        "allow-import",
        "allow-import cannot be enforced in a thread (Deno 2 checks a worker's remote imports " +
          "against the host's permissions): use isolation=process",
      );
    }
    if (heapMiB !== null && heapMiB > 0) {
      throw new ConfigError(
        "heap= and allow-* keys cannot be combined in a thread (Deno caps the heap only of " +
          "node:worker_threads workers, which ignore worker permissions): use isolation=process",
      );
    }
  }
  return {
    isolation,
    ...(groupText === undefined ? {} : { group: groupText }),
    heapMiB,
    permissions,
  };
}

/**
 * The sandbox a worker is started with: the spec's `heap=`, else
 * `defaultHeapMiB` (`--worker-heap`), except that a thread with `allow-*`
 * keys is a Web Worker, whose heap Deno cannot cap.
 */
export function resolveSandbox(spec: SandboxSpec | undefined, defaultHeapMiB: number): Sandbox {
  const { isolation, group, heapMiB, permissions } = spec ?? NO_SANDBOX;
  const uncappable = isolation !== "process" && permissions !== null;
  return {
    isolation,
    ...(group === undefined ? {} : { group }),
    heapMiB: uncappable ? 0 : heapMiB ?? defaultHeapMiB,
    permissions,
  };
}

/** The permissions as the spec would give them, e.g. `allow-read=/srv;allow-net=*`; "" for none. */
export function permissionsText(permissions: Permissions | null): string {
  if (permissions === null) return "";
  return PERMISSION_KINDS.filter((kind) => permissions[kind] !== undefined)
    .map((kind) => {
      const grant = permissions[kind]!;
      return `allow-${kind}=${grant === "*" ? "*" : grant.join(",")}`;
    }).join(";");
}
