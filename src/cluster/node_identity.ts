/**
 * This host's identity in the fleet: `--node NAME` (default: the machine's
 * host name), checked, with a random session id per start.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { MAX_NODE_NAME, type NodeIdentity } from "./nodes.ts";

/**
 * Checks `--node`: 1 to {@link MAX_NODE_NAME} characters of letters, digits,
 * `.`, `_`, `-` (a host name fits); `label` names the option in errors.
 *
 * @throws {ConfigError} otherwise.
 */
export function readNodeName(text: string, label = "node"): string {
  if (!new RegExp(`^[A-Za-z0-9._-]{1,${MAX_NODE_NAME}}$`).test(text)) {
    throw new ConfigError(
      `${label} must be 1 to ${MAX_NODE_NAME} letters, digits, '.', '_' or '-', ` +
        `got ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
  return text;
}

/** The machine's host name: `Deno.hostname()`, else (no --allow-sys) /etc/hostname; "" when neither. */
export function machineName(): string {
  try {
    return Deno.hostname();
  } catch {
    try {
      return Deno.readTextFileSync("/etc/hostname").trim();
    } catch {
      return "";
    }
  }
}

/** The machine's host name cut to a valid node name (`node` when it has none). */
export function defaultNodeName(): string {
  const host = machineName();
  const cleaned = host.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, MAX_NODE_NAME);
  return cleaned === "" ? "node" : cleaned;
}

/** This process's identity under `name` (checked), with a new session id. */
export function nodeIdentity(name: string, version: string): NodeIdentity {
  const hostname = machineName();
  return {
    name: readNodeName(name),
    session: crypto.randomUUID(),
    version,
    hostname,
    pid: Deno.pid,
  };
}
