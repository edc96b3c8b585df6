/**
 * `evrexec init [DIR]`: writes a small project a user can start from, its
 * script with one exec task and one RPC function, their unit tests, a
 * commented config, a `deno.json` with tasks, a systemd unit and a README.
 * It never overwrites a file: if any it would write exists, it writes
 * nothing and says which.
 *
 * @module
 */

import { basename, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { appTestTs } from "./init_template/app_test_ts.ts";
import { appTs } from "./init_template/app_ts.ts";
import { configJsonc } from "./init_template/config_jsonc.ts";
import { denoJson } from "./init_template/deno_json.ts";
import type { ProjectFacts } from "./init_template/facts.ts";
import { readmeMd } from "./init_template/readme_md.ts";
import { serviceUnit } from "./init_template/service_unit.ts";
import { unitUnsafe } from "./init_template/systemd_text.ts";

/** A project that cannot be written, in one line; nothing was written. */
export class InitError extends Error {
  /** "InitError". */
  override name = "InitError";
}

/** What can be set; the rest comes from the checkout and the environment. */
export interface InitOptions {
  /** The checkout the project runs the host from (default: the one of this module). */
  readonly checkout?: string;
  /** The deno binary the systemd unit runs (default: the one running now). */
  readonly denoPath?: string;
  /** The user the systemd unit runs as (default: `$USER`, else `$LOGNAME`; root: "evrexec"). */
  readonly user?: string;
  /** The project's name (default: its directory's name). */
  readonly name?: string;
}

/** What {@link initProject} wrote. */
export interface InitResult {
  /** The project's directory, absolute. */
  readonly dir: string;
  /** The files written, relative to `dir`, in order. */
  readonly files: readonly string[];
}

/** The files of a project, in the order they are written. */
const TEMPLATES: readonly [string, (facts: ProjectFacts) => string][] = [
  ["deno.json", denoJson],
  ["evrexec.jsonc", configJsonc],
  ["app.ts", appTs],
  ["app_test.ts", appTestTs],
  ["evrexec.service", serviceUnit],
  ["README.md", readmeMd],
];

/** The names of the files {@link initProject} writes. */
export const PROJECT_FILES: readonly string[] = TEMPLATES.map(([file]) => file);

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/** The checkout of this module (two levels up), as a directory path. */
function ownCheckout(): string {
  const url = new URL("../..", import.meta.url);
  if (url.protocol !== "file:") {
    throw new InitError(`evrexec init runs from a checkout on disk, not from ${url.href}`);
  }
  return fileURLToPath(url).replace(/\/$/, "");
}

/** The package name the checkout's `deno.json` gives, checked to export the KSR API. */
async function packageName(checkout: string): Promise<string> {
  const path = `${checkout}/deno.json`;
  let config: { name?: unknown; exports?: Record<string, unknown> };
  try {
    config = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    throw new InitError(`cannot read ${path}: ${error instanceof Error ? error.message : error}`);
  }
  const exports = config.exports ?? {};
  if (typeof config.name !== "string" || !("./kemi" in exports && "./kemi/testing" in exports)) {
    throw new InitError(`${path} is not evrexec's: it names no package exporting ./kemi`);
  }
  return config.name;
}

/** A name safe in a unit's description and a heading: letters, digits, `.`, `_`, `-`. */
function safeName(name: string): string {
  const safe = [...name.replace(/[^A-Za-z0-9._-]+/g, "-")].slice(0, 64).join("");
  return safe.replace(/^[-.]+/, "") || "evrexec-project";
}

/** The unit's user: a plausible login name who ran init, else "evrexec" to create. */
function unitUser(given: string | undefined): { user: string; toCreate: boolean } {
  const user = given ?? env("USER") ?? env("LOGNAME");
  if (user !== undefined && user !== "root" && /^[a-z_][a-z0-9_-]{0,31}$/.test(user)) {
    return { user, toCreate: false };
  }
  return { user: "evrexec", toCreate: true };
}

/**
 * Writes a new project into `dir` (created if missing) and returns what it
 * wrote. Throws an {@link InitError} (one line, nothing written) when a
 * file it would write exists, or a path cannot go into a unit file.
 */
export async function initProject(dir: string, options: InitOptions = {}): Promise<InitResult> {
  const target = resolve(dir);
  const checkout = options.checkout === undefined ? ownCheckout() : resolve(options.checkout);
  const denoPath = options.denoPath ?? Deno.execPath();
  for (const [what, path] of [["directory", target], ["checkout", checkout], ["deno", denoPath]]) {
    if (unitUnsafe(path) || path !== path.trim()) {
      throw new InitError(
        `the ${what} path ${JSON.stringify(path)} has a control character or edge blank ` +
          "a systemd unit cannot hold",
      );
    }
  }
  const { user, toCreate } = unitUser(options.user);
  const facts: ProjectFacts = {
    name: safeName(options.name ?? basename(target)),
    dir: target,
    checkout,
    packageName: await packageName(checkout),
    denoPath,
    user,
    userToCreate: toCreate,
  };
  const texts = TEMPLATES.map(([file, template]) => [file, template(facts)] as const);
  const present = [];
  for (const [file] of texts) {
    try {
      await Deno.lstat(`${target}/${file}`);
      present.push(file);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      const why = error instanceof Error ? error.message : String(error);
      throw new InitError(`cannot look at ${target}/${file}: ${why} (nothing was written)`);
    }
  }
  if (present.length > 0) {
    throw new InitError(
      `${target} has ${present.join(", ")} already; evrexec init overwrites nothing ` +
        "(nothing was written): choose another directory, or move them away",
    );
  }
  const written: string[] = [];
  try {
    await Deno.mkdir(target, { recursive: true });
    for (const [file, text] of texts) {
      await Deno.writeTextFile(`${target}/${file}`, text, { createNew: true });
      written.push(file);
    }
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const done = written.length === 0 ? "nothing was written" : `wrote ${written.join(", ")}`;
    throw new InitError(`cannot write the project into ${target}: ${why} (${done})`);
  }
  return { dir: target, files: written };
}
