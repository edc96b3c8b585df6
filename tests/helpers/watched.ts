/**
 * Test helpers for `--watch` and `--check`: a temporary copy of the watched
 * fixture, saves as editors make them, and polling for a new answer.
 *
 * @module
 */

import { fixture, sleep, type TestHost } from "./host.ts";
import { makeTestDir, removeTestDir } from "./temp_dir.ts";

/** A temporary copy of `tests/fixtures/watch/`. */
export interface WatchedCopy {
  /** The directory of the copy. */
  readonly dir: string;
  /** Path of the copied script. */
  readonly script: string;
  /** Path of the module the script imports. */
  readonly greeting: string;
  /** Removes the copy. */
  remove(): Promise<void>;
}

/** Copies the watched fixture to a new temporary directory. */
export async function copyWatched(): Promise<WatchedCopy> {
  const dir = await makeTestDir("evrexec-watch-");
  for (const name of ["script.ts", "greeting.ts"]) {
    await Deno.copyFile(fixture(`watch/${name}`), `${dir}/${name}`);
  }
  return {
    dir,
    script: `${dir}/script.ts`,
    greeting: `${dir}/greeting.ts`,
    remove: () => removeTestDir(dir),
  };
}

/** Saves `text` to `path` as many editors do: a temporary file, then a rename over the file. */
export async function save(path: string, text: string): Promise<void> {
  const temporary = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(temporary, text);
  await Deno.rename(temporary, path);
}

/**
 * Calls `evrexec.run version` until it answers `expected`; resolves with how
 * long that took, in ms. Throws with the last answer after `timeoutMs`.
 */
export async function untilVersion(
  host: TestHost,
  expected: string,
  timeoutMs: number,
): Promise<number> {
  const started = performance.now();
  const client = await host.client();
  let last: unknown;
  while (performance.now() - started < timeoutMs) {
    last = await client.call("evrexec.run", ["version"]).catch((error) => String(error));
    if (last === expected) return performance.now() - started;
    await sleep(50);
  }
  throw new Error(
    `no ${JSON.stringify(expected)} within ${timeoutMs} ms (last answer ${
      JSON.stringify(last)
    }); log:\n${host.log}`,
  );
}
