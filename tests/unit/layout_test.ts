// The house rules, checked on the tree: the
// worker boundary (src/worker/ imports only src/shared/ and kemi/), and the
// pool independent of the task supervisor.
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function sources(dir: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(join(ROOT, dir))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) found.push(...sources(path));
    else if (entry.name.endsWith(".ts")) found.push(path);
  }
  return found;
}

/** The repository paths a file imports by relative specifier. */
function imports(path: string): string[] {
  const text = Deno.readTextFileSync(join(ROOT, path));
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]);
  return specs.map((spec) => relative(ROOT, resolve(join(ROOT, dirname(path)), spec)));
}

Deno.test("layout: src/worker/ imports only src/worker/, src/shared/ and kemi/", () => {
  const crossing = sources("src/worker").flatMap((path) =>
    imports(path).filter((target) => !/^(src\/worker|src\/shared|kemi)\//.test(target))
      .map((target) => `${path} -> ${target}`)
  );
  assert.deepEqual(crossing, []);
});

Deno.test("layout: the pool does not depend on the task supervisor", () => {
  const crossing = sources("src/pool").flatMap((path) =>
    imports(path).filter((target) => target.startsWith("src/tasks/supervisor"))
      .map((target) => `${path} -> ${target}`)
  );
  assert.deepEqual(crossing, []);
});
