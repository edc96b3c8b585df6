/**
 * The script's module graph as local files, read with `deno info --json`,
 * and a digest of their contents (the type-check cache's key).
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runDeno } from "./deno_command.ts";

/** The local files of a script's module graph. */
export interface ModuleGraph {
  /**
   * Absolute paths of the script and of every local module it imports,
   * directly or not, the script first. Imports that did not load (a missing
   * file, a syntax error) are listed too.
   */
  readonly files: readonly string[];
  /** True when some module of the graph did not load: the graph may be incomplete. */
  readonly broken: boolean;
}

/** One module as `deno info --json` lists it. */
interface InfoModule {
  readonly specifier?: string;
  readonly local?: string;
  readonly error?: string;
}

/**
 * Reads the module graph of `scriptUrl` with `deno info --json` (run in the
 * script's directory, so its `deno.json` imports apply). Rejects with an
 * Error carrying deno's first line when deno info fails.
 */
export async function readModuleGraph(scriptUrl: string): Promise<ModuleGraph> {
  const { code, stdout, stderr } = await runDeno(["info", "--json", scriptUrl], scriptUrl);
  if (code !== 0) {
    const first = stderr.split("\n").find((line) => line.trim() !== "") ?? `exit code ${code}`;
    throw new Error(`deno info: ${first.trim()}`);
  }
  const modules = (JSON.parse(stdout) as { modules?: InfoModule[] }).modules ?? [];
  const root = fileURLToPath(scriptUrl);
  const files = new Set([root]);
  let broken = false;
  for (const module of modules) {
    if (module.error !== undefined) broken = true;
    if (!module.specifier?.startsWith("file:")) continue;
    files.add(module.local ?? fileURLToPath(module.specifier));
  }
  return { files: [...files], broken };
}

/**
 * The `deno.json`/`deno.jsonc` files from the script's directory up to the
 * root: the configuration `deno check` may read (its `compilerOptions`,
 * `imports`, workspace members).
 */
export async function configFiles(scriptUrl: string): Promise<string[]> {
  const found: string[] = [];
  for (let dir = dirname(fileURLToPath(scriptUrl));; dir = dirname(dir)) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      const path = join(dir, name);
      if (await Deno.stat(path).then((info) => info.isFile, () => false)) found.push(path);
    }
    if (dirname(dir) === dir) return found;
  }
}

/**
 * SHA-256 of the contents of `paths` (a missing file counts as missing), in
 * hex: equal digests mean that none of the files changed.
 */
export async function contentDigest(paths: readonly string[]): Promise<string> {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const path of [...paths].sort()) {
    const content = await Deno.readFile(path).catch(() => encoder.encode("\0missing"));
    parts.push(encoder.encode(`${path}\0${content.length}\0`), content);
  }
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  const digest = await crypto.subtle.digest("SHA-256", all);
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
