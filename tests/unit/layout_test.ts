// The house rules, checked on the tree (docs/architecture.md tells the
// floors): no import runs up a floor or sideways to another folder of its
// floor, no cycle of imports among the files of src/, the worker boundary
// (src/worker/ imports only src/worker/, src/shared/ and kemi/), Deno.exit
// only in the command line and the entry points, and a file past 500 lines
// says why it is one concept.
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The folders of src/, lowest floor first. A file may import its own folder
 * and any folder of a lower floor; folders that share a floor do not import
 * each other.
 */
const FLOORS: readonly (readonly string[])[] = [
  ["shared"], // the worker boundary: messages, channel layout, error text, quoting
  ["base"], // the host's ground floor: log, version, errors, values, deno commands
  ["config"], // what a host is told: the spec, the options, every default
  ["worker", "cluster"], // code inside workers; the fleet's store (the host drives it: host/fleet*.ts)
  ["spawn"], // starting and ending workers of every kind
  ["tasks", "pool"], // exec task supervision; the warm RPC pool
  ["rpc"], // the transport: sockets, framing, dispatch, Kamailio's codecs
  ["observe", "dev"], // statistics, Prometheus, health; --check and --watch
  ["host"], // the host and the RPC methods it serves
  ["cli", "client"], // the command line; the RPC client, deno task rpc and top
];

/**
 * Imports allowed to run up a floor, each with its reason (at most 2).
 * None is needed today.
 */
const UP_ALLOWED: readonly { readonly from: string; readonly to: string; readonly why: string }[] =
  [];

/** The files allowed to end the process: the command line, and each entry point's main. */
const MAY_EXIT: readonly string[] = [
  "mod.ts", // run as main: the command line
  "src/cli/main.ts", // the command line: its early signals, and a fatal condition (onFatal)
  "src/client/main.ts", // deno task rpc's entry point
  "src/client/top.ts", // deno task top's entry point
  "src/worker/process_main.ts", // a process worker's main: it ends when its host has gone
];

/** String literals on one line (a message may name `Deno.exit()`). */
const STRINGS = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g;

function sources(dir: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(join(ROOT, dir))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) found.push(...sources(path));
    else if (entry.name.endsWith(".ts")) found.push(path);
  }
  return found.sort();
}

/**
 * The repository paths a file imports by relative specifier: static imports
 * and re-exports (statements at the start of a line, so that examples in
 * comments do not count) and dynamic `import("./…")` outside comments.
 */
function imports(path: string): string[] {
  const text = Deno.readTextFileSync(join(ROOT, path));
  const statics = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*"(\.{1,2}\/[^"]+)"/gm)];
  const bare = [...text.matchAll(/^import\s*"(\.{1,2}\/[^"]+)"/gm)];
  const dynamic = text.split("\n").filter((line) => !/^\s*(\*|\/\/)/.test(line))
    .flatMap((line) => [...line.matchAll(/\bimport\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g)]);
  return [...statics, ...bare, ...dynamic].map((match) =>
    relative(ROOT, resolve(join(ROOT, dirname(path)), match[1]))
  );
}

const SRC = sources("src");
/** The folder of a file of src/ (`src/rpc/kamailio/binrpc.ts` is in `rpc`). */
const folder = (path: string) => path.split("/")[1];
const floor = (name: string) => FLOORS.findIndex((names) => names.includes(name));

Deno.test("layout: every folder of src/ has its floor", () => {
  const folders = [...new Set(SRC.map(folder))];
  assert.deepEqual(folders.filter((name) => floor(name) < 0), []);
  assert.ok(UP_ALLOWED.length <= 2, "at most two imports may run up a floor");
});

Deno.test("layout: no import runs up a floor, nor sideways to another folder of its floor", () => {
  const wrong = SRC.flatMap((path) =>
    imports(path).filter((target) => target.startsWith("src/")).filter((target) => {
      const from = folder(path), to = folder(target);
      if (from === to) return false;
      if (UP_ALLOWED.some((up) => up.from === path && up.to === target)) return false;
      return floor(to) >= floor(from);
    }).map((target) => `${path} -> ${target}`)
  );
  assert.deepEqual(wrong, []);
});

Deno.test("layout: no cycle of imports among the files of src/", () => {
  const graph = new Map(
    SRC.map((path) => [path, imports(path).filter((t) => t.startsWith("src/"))]),
  );
  const done = new Set<string>();
  const cycles: string[] = [];
  const visit = (path: string, trail: string[]) => {
    const at = trail.indexOf(path);
    if (at >= 0) return void cycles.push([...trail.slice(at), path].join(" -> "));
    if (done.has(path)) return;
    for (const next of graph.get(path) ?? []) visit(next, [...trail, path]);
    done.add(path);
  };
  for (const path of SRC) visit(path, []);
  assert.deepEqual(cycles, []);
});

Deno.test("layout: src/worker/ imports only src/worker/, src/shared/ and kemi/", () => {
  const crossing = sources("src/worker").flatMap((path) =>
    imports(path).filter((target) => !/^(src\/worker|src\/shared|kemi)\//.test(target))
      .map((target) => `${path} -> ${target}`)
  );
  assert.deepEqual(crossing, []);
});

Deno.test("layout: only the command line and the entry points call Deno.exit", () => {
  const calling = ["mod.ts", ...SRC, ...sources("kemi")].filter((path) =>
    Deno.readTextFileSync(join(ROOT, path)).split("\n")
      .map((line) => line.replace(STRINGS, '""'))
      .some((line) => !/^\s*(\*|\/\/)/.test(line) && /\bDeno\.exit\(/.test(line))
  );
  const outside = calling.filter((path) =>
    !path.startsWith("src/cli/") && !MAY_EXIT.includes(path)
  );
  assert.deepEqual(outside, []);
  assert.ok(calling.includes("src/cli/main.ts"), "the check sees the command line's exit");
});

Deno.test("layout: a file past 500 lines says in its module doc why it is one concept", () => {
  const long = SRC.filter((path) => {
    const text = Deno.readTextFileSync(join(ROOT, path));
    const moduleDoc = /^\/\*\*[\s\S]*?@module[\s\S]*?\*\//.exec(text)?.[0] ?? "";
    return text.split("\n").length > 500 && !/one concept/.test(moduleDoc);
  });
  assert.deepEqual(long, []);
});
