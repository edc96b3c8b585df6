// --watch when watching fails (third round): out of inotify instances (`EMFILE` from watchFs) the
// watcher said "watching N files" and never saw a save again. Now it says once that saves are not
// seen, tries again with a doubling pause, and a save after it recovers reloads. The failure is
// injected through the watcher's watchFs option; the file system and module graph are real.
import assert from "node:assert/strict";
import { ScriptWatcher } from "../../src/dev/watcher.ts";
import { copyWatched, save } from "../helpers/watched.ts";
import { sleep } from "../helpers/host.ts";

async function until(test: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

Deno.test("watcher: a watch that fails (no inotify instance left) is retried, and saves reload after", async () => {
  const copy = await copyWatched();
  let failures = 2;
  let tries = 0;
  const reloads: string[][] = [];
  const watcher = new ScriptWatcher({
    scriptUrl: new URL(`file://${copy.script}`).href,
    reload: (changed) => {
      reloads.push([...changed]);
      return Promise.resolve();
    },
    quietMs: 20,
    retryMs: 50,
    watchFs: (paths, options) => {
      tries++;
      if (failures-- > 0) throw new Error("Too many open files (os error 24)");
      return Deno.watchFs(paths, options);
    },
  });
  try {
    await watcher.start();
    assert.equal(watcher.watching, false, "the first try failed");
    await until(() => watcher.watching, 5000, "watching works again");
    assert.equal(tries, 3, "two failures, then a watch");
    await save(copy.script, 'import { greeting } from "./greeting.ts";\nexport const v = 2;\n');
    await until(() => reloads.length > 0, 5000, "the save reloads");
    assert.deepEqual(reloads[0], ["script.ts"]);
  } finally {
    watcher.stop();
    await copy.remove();
  }
});
