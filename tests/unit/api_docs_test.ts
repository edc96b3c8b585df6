// The public API's JSDoc, read with `deno doc --json`: every exported
// function of mod.ts and kemi/ (and every public method and constructor of
// their classes and interfaces) has a `@param` per parameter and a
// `@returns` unless it returns nothing; `@throws` is checked by reading.
import assert from "node:assert/strict";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const ENTRIES = ["mod.ts", "kemi/mod.ts", "kemi/testing.ts", "kemi/ksr.ts", "kemi/pv.ts"];

/** A type as `deno doc --json` writes it (`void` is a keyword). */
interface TsType {
  readonly kind: string;
  readonly value?: unknown;
}
interface Tag {
  readonly kind: string;
  readonly name?: string;
}
interface Param {
  readonly kind: string;
  readonly name?: string;
  readonly left?: { readonly name?: string };
  readonly arg?: { readonly name?: string };
}
interface Callable {
  readonly name?: string;
  readonly accessibility?: string;
  readonly jsDoc?: { readonly tags?: readonly Tag[] };
  readonly params?: readonly Param[];
  readonly returnType?: TsType;
  readonly functionDef?: {
    readonly params: readonly Param[];
    readonly returnType?: TsType;
  };
}
interface Declaration {
  readonly kind: string;
  readonly jsDoc?: { readonly tags?: readonly Tag[] };
  readonly def?: {
    readonly params?: readonly Param[];
    readonly returnType?: TsType;
    readonly methods?: readonly Callable[];
    readonly constructors?: readonly Callable[];
  };
}
interface Symbol {
  readonly name: string;
  readonly declarations: readonly Declaration[];
}

function paramName(param: Param): string | undefined {
  return param.name ?? param.left?.name ?? param.arg?.name;
}

/** What a callable's docs lack: `@param NAME` per parameter, `@returns` unless void. */
function missing(
  label: string,
  tags: readonly Tag[],
  params: readonly Param[],
  returns: TsType | undefined,
): string[] {
  const named = new Set(tags.filter((tag) => tag.kind === "param").map((tag) => tag.name));
  const lacks = params.map(paramName).filter((name) => name !== undefined && !named.has(name))
    .map((name) => `${label}: @param ${name}`);
  const returnsSomething = returns !== undefined &&
    !(returns.kind === "keyword" && returns.value === "void");
  if (returnsSomething && !tags.some((tag) => tag.kind === "return")) {
    lacks.push(`${label}: @returns`);
  }
  return lacks;
}

Deno.test("api docs: every exported function of mod.ts and kemi/ documents its params and its value", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", ...ENTRIES],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.ok(output.success, "deno doc --json ran");
  const doc = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    nodes: Record<string, { symbols: readonly Symbol[] }>;
  };
  const lacks: string[] = [];
  let checked = 0;
  for (const { symbols } of Object.values(doc.nodes)) {
    for (const symbol of symbols) {
      for (const declaration of symbol.declarations) {
        const def = declaration.def ?? {};
        if (declaration.kind === "function") {
          checked++;
          lacks.push(
            ...missing(
              symbol.name,
              declaration.jsDoc?.tags ?? [],
              def.params ?? [],
              def.returnType,
            ),
          );
        }
        if (declaration.kind !== "class" && declaration.kind !== "interface") continue;
        for (const method of [...def.methods ?? [], ...def.constructors ?? []]) {
          if (method.accessibility === "private" || method.name?.startsWith("#")) continue;
          checked++;
          const fn = method.functionDef;
          lacks.push(
            ...missing(
              `${symbol.name}.${method.name}`,
              method.jsDoc?.tags ?? [],
              fn?.params ?? method.params ?? [],
              method.name === "constructor" ? undefined : fn?.returnType ?? method.returnType,
            ),
          );
        }
      }
    }
  }
  assert.ok(checked > 20, `the check saw the API (${checked} callables)`);
  assert.deepEqual(lacks, []);
});
