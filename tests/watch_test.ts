// --watch: a save reloads the script (debounced), a broken save keeps the old
// version serving, and the module graph (not the directory) is watched.
import assert from "node:assert/strict";
import { sleep, startHost, type TestHost } from "./helpers/host.ts";
import { copyWatched, save, untilVersion, type WatchedCopy } from "./helpers/watched.ts";

const RELOADED = /reloaded .*script\.ts \(version (\d+)\) after a change of (.*) in (\d+) ms/g;

function watching(
  body: (host: TestHost, copy: WatchedCopy) => Promise<void>,
): () => Promise<void> {
  return async () => {
    const copy = await copyWatched();
    const host = await startHost(copy.script, {
      args: ["--watch"],
      permissions: ["--allow-run"],
    });
    try {
      await body(host, copy);
    } finally {
      await host.cleanup();
      await copy.remove();
    }
  };
}

function scriptText(body: string): string {
  return `import { greeting } from "./greeting.ts";\n${body}\n`;
}

Deno.test(
  "watch: a new return value answers within 3 s; a syntax error keeps the old version; the fix loads",
  watching(async (host, copy) => {
    await host.waitFor(/watching 2 files of the module graph/);
    assert.equal(await host.call("evrexec.run", ["version"]), "v1 hello");

    await save(copy.script, scriptText("export function version() { return `v2 ${greeting}`; }"));
    const ms = await untilVersion(host, "v2 hello", 3000);
    console.log(`watch: the new version answered ${Math.round(ms)} ms after the save`);
    const [line] = await host.waitFor(/reloaded .* after a change of script\.ts in \d+ ms/);
    assert.match(line, /\(version 2\)/);

    await save(copy.script, scriptText("export function version( {"));
    await host.waitFor(
      /script\.ts changed; reload failed, the running version is kept: .*SyntaxError/,
    );
    await sleep(2500); // nothing retries on its own: no crash loop
    assert.equal(host.count(/reload failed/), 1, host.log);
    assert.equal(host.count(/\[ERR\]/), 1, `one error line only:\n${host.log}`);
    assert.equal(
      await host.call("evrexec.run", ["version"]),
      "v2 hello",
      "the old version answers",
    );

    await save(copy.script, scriptText("export function version() { return `v3 ${greeting}`; }"));
    await untilVersion(host, "v3 hello", 15_000);
    await host.waitFor(/\(version 3\) after a change of script\.ts/);
  }),
);

Deno.test(
  "watch: an imported module that changes reloads; a newly imported file is watched too",
  watching(async (host, copy) => {
    await host.waitFor(/watching 2 files/);
    await save(copy.greeting, 'export const greeting: string = "hi";\n');
    await untilVersion(host, "v1 hi", 15_000);
    await host.waitFor(/after a change of greeting\.ts in/);

    await Deno.writeTextFile(`${copy.dir}/name.ts`, 'export const name = "ann";\n');
    await save(
      copy.script,
      'import { greeting } from "./greeting.ts";\nimport { name } from "./name.ts";\n' +
        "export function version() { return `v2 ${greeting} ${name}`; }\n",
    );
    await untilVersion(host, "v2 hi ann", 15_000);
    await sleep(500); // the graph is re-read after the reload
    await save(`${copy.dir}/name.ts`, 'export const name = "bob";\n');
    await untilVersion(host, "v2 hi bob", 15_000);
    await host.waitFor(/after a change of name\.ts in/);

    await Deno.writeTextFile(`${copy.dir}/unrelated.ts`, "export const x = 1;\n");
    await sleep(1500);
    assert.equal(
      [...host.log.matchAll(RELOADED)].length,
      3,
      "a file outside the graph is not watched",
    );
  }),
);

Deno.test(
  "watch: a burst of writes (temporary file, rename, rewrites) is one reload",
  watching(async (host, copy) => {
    await host.waitFor(/watching 2 files/);
    const text = (v: string) => scriptText(`export function version() { return "${v}"; }`);
    await Deno.writeTextFile(copy.script, text("b1"));
    await save(copy.script, text("b2"));
    await Deno.rename(copy.script, `${copy.script}~`); // as vim does: the file is gone a moment
    await Deno.writeTextFile(copy.script, text("b3"));
    await Deno.remove(`${copy.script}~`);
    await untilVersion(host, "b3", 15_000);
    await sleep(1000);
    const reloads = [...host.log.matchAll(RELOADED)];
    assert.equal(reloads.length, 1, host.log);
    assert.equal(reloads[0][2], "script.ts");
  }),
);
