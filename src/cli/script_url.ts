/**
 * Turns the SCRIPT argument (a path relative to the current directory, or a
 * file URL) into the URL workers import, after checking the file is there.
 *
 * @module
 */

import { messageOf } from "../shared/error_text.ts";
import { ConfigError } from "../shared/errors.ts";

/** Resolves and checks the script; throws a {@link ConfigError} if unusable. */
export function resolveScript(script: string): string {
  let url: URL;
  try {
    url = script.startsWith("file:") ? new URL(script) : new URL(
      encodeURI(script).replaceAll("?", "%3F").replaceAll("#", "%23"),
      `file://${Deno.cwd()}/`,
    );
  } catch {
    throw new ConfigError(`script ${JSON.stringify(script)} is not a valid path or file URL`);
  }
  if (url.protocol !== "file:") {
    throw new ConfigError(`script ${JSON.stringify(script)}: only local files are supported`);
  }
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(url);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ConfigError(`script not found: ${decodeURIComponent(url.pathname)}`);
    }
    throw new ConfigError(`script ${decodeURIComponent(url.pathname)}: ${messageOf(error)}`);
  }
  if (!info.isFile) {
    throw new ConfigError(`script ${decodeURIComponent(url.pathname)} is not a file`);
  }
  return url.href;
}
