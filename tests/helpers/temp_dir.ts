/**
 * Temporary directories of tests that are removed even when a test fails:
 * each is removed by its owner as before, and whatever is left when the
 * test file's runtime ends (a failed assertion skipped the cleanup, a test
 * stopped a host without `cleanup()`) is removed then (the `unload` event,
 * which `deno test` fires after every file, passed or failed).
 *
 * @module
 */

const made = new Set<string>();
let listening = false;

function removeAllSync(): void {
  for (const dir of made) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // gone already
    }
  }
  made.clear();
}

/** Remembers `dir` for removal when the test file ends; returns it. */
export function removeAtEnd(dir: string): string {
  made.add(dir);
  if (!listening) {
    listening = true;
    addEventListener("unload", removeAllSync);
  }
  return dir;
}

/** A new temporary directory (`prefix` as `Deno.makeTempDir` takes it), removed at the end at the latest. */
export async function makeTestDir(prefix: string): Promise<string> {
  return removeAtEnd(await Deno.makeTempDir({ prefix }));
}

/** The synchronous form of {@link makeTestDir}. */
export function makeTestDirSync(prefix: string): string {
  return removeAtEnd(Deno.makeTempDirSync({ prefix }));
}

/** Removes `dir` now (and forgets it); never throws. */
export async function removeTestDir(dir: string): Promise<void> {
  made.delete(dir);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
