/**
 * The host's name and version, read from `deno.json`.
 *
 * @module
 */

import config from "../../deno.json" with { type: "json" };

/** The program's name, as `--version` and `core.version` print it. */
export const NAME = "evrexec-deno";
/** The program's version. */
export const VERSION: string = config.version;

/** One line: name, version, and the Deno it runs on. */
export function versionLine(): string {
  return `${NAME} ${VERSION} (deno ${Deno.version.deno}, v8 ${Deno.version.v8}, typescript ${Deno.version.typescript})`;
}
