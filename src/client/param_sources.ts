/**
 * The params of `deno task rpc` as the command line gives them, read: a
 * PARAM `@PATH` is the text of the file at PATH, `-` the text of standard
 * input, and `j:@PATH` or `j:-` the JSON they hold, as curl reads `@file`
 * and `-`. Data too big for a command line (the kernel's limit on one
 * argument is 128 KiB) goes this way. `s:` sends the rest as it is, so
 * `s:@notes` sends `@notes` and `s:-` a dash. What is read is bounded by the
 * host's line limit ({@link MAX_PARAM_BYTES}) and must be UTF-8.
 *
 * @module
 */

import { ConfigError } from "../base/errors.ts";
import { MAX_LINE_BYTES } from "../rpc/connection.ts";
import { messageOf } from "../shared/error_text.ts";
import { quoteValue } from "../shared/quote.ts";
import { typedParam } from "./params.ts";

/** The most a param read from a file or standard input may hold: the host's line limit. */
export const MAX_PARAM_BYTES: number = MAX_LINE_BYTES;

/** Something to read bytes from: a file or standard input. */
export interface Source {
  /** Reads into `buffer`: the bytes read, or null at the end. */
  read(buffer: Uint8Array): Promise<number | null>;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** All of `source`'s text, at most {@link MAX_PARAM_BYTES} bytes; `label` names it in errors. */
async function readBounded(source: Source, label: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  let total = 0;
  while (true) {
    const n = await source.read(buffer);
    if (n === null) break;
    total += n;
    if (total > MAX_PARAM_BYTES) {
      throw new ConfigError(
        `${label}: over ${MAX_PARAM_BYTES} bytes (1 MiB, the host's line limit)`,
      );
    }
    chunks.push(buffer.slice(0, n));
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new ConfigError(`${label}: not valid UTF-8`);
  }
}

/** The text of the file at `path`; `label` names it in errors. */
async function readFileParam(path: string, label: string): Promise<string> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "no such file" : messageOf(error);
    throw new ConfigError(`${label}: cannot read it: ${why}`);
  }
  try {
    return await readBounded(file, label);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${label}: cannot read it: ${messageOf(error)}`);
  } finally {
    file.close();
  }
}

/** Reads JSON `text` for the param `label`. */
function parseJson(text: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${label}: not JSON (${messageOf(error)})`);
  }
}

/**
 * Reads the params given on the command line: `@PATH` and `-` (also after
 * `j:`) from a file or standard input, the others as {@link typedParam}
 * types them.
 *
 * @param texts The PARAMs as given.
 * @param stdin Where `-` reads from (default: the process's standard input).
 * @returns The params to send.
 * @throws {ConfigError} For a file that cannot be read, more than
 *   {@link MAX_PARAM_BYTES}, bytes that are not UTF-8, `-` given twice, or a bad typed value.
 */
export async function readParams(
  texts: readonly string[],
  stdin: Source = Deno.stdin,
): Promise<unknown[]> {
  const params: unknown[] = [];
  let stdinUsed = false;
  for (const text of texts) {
    const json = text.startsWith("j:@") || text === "j:-";
    const source = json ? text.slice(2) : text;
    if (source !== "-" && !source.startsWith("@")) {
      params.push(typedParam(text));
      continue;
    }
    const label = `param ${quoteValue(text)}`;
    let read: string;
    if (source === "-") {
      if (stdinUsed) {
        throw new ConfigError(`${label}: standard input is read once; give the other as @PATH`);
      }
      stdinUsed = true;
      try {
        read = await readBounded(stdin, `${label} (standard input)`);
      } catch (error) {
        if (error instanceof ConfigError) throw error;
        throw new ConfigError(`${label}: cannot read standard input: ${messageOf(error)}`);
      }
    } else {
      if (source.length === 1) throw new ConfigError(`${label}: @ must be followed by a path`);
      read = await readFileParam(source.slice(1), label);
    }
    params.push(json ? parseJson(read, label) : read);
  }
  return params;
}
