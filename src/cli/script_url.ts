/**
 * Turns the SCRIPT argument (a path relative to the current directory, or a
 * file URL) into the URL workers import, after checking the file is there:
 * a regular file of at most 16 MiB.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { quoteValue } from "../shared/quote.ts";
import { checkUserFile, MAX_SCRIPT_BYTES } from "./user_file.ts";

/** Resolves and checks the script; throws a {@link ConfigError} if unusable. */
export function resolveScript(script: string): string {
  let url: URL;
  try {
    url = script.startsWith("file:") ? new URL(script) : new URL(
      encodeURI(script).replaceAll("?", "%3F").replaceAll("#", "%23"),
      `file://${Deno.cwd()}/`,
    );
  } catch {
    throw new ConfigError(`script ${quoteValue(script)} is not a valid path or file URL`);
  }
  if (url.protocol !== "file:") {
    throw new ConfigError(`script ${quoteValue(script)}: only local files are supported`);
  }
  checkUserFile(url, "script", MAX_SCRIPT_BYTES);
  return url.href;
}
