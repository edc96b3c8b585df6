/**
 * `--check`: type-checks the script and its imports with `deno check`, with
 * the script project's `compilerOptions`, and caches each outcome by the
 * module graph's contents.
 *
 * @module
 */

import { messageOf } from "../shared/error_text.ts";
import { ConfigError } from "../base/errors.ts";
import { requireDenoRun, runDeno } from "../base/deno_command.ts";
import { log, logVerbatim } from "../base/log.ts";
import { configFiles, contentDigest, readModuleGraph } from "../base/module_graph.ts";

/** How many outcomes the cache keeps (one per version of the graph's contents). */
const CACHE_SIZE = 32;

// deno-lint-ignore no-control-regex -- ANSI colour codes in deno check's report
const ANSI = /\u001b\[[0-9;]*m/g;

/** What `deno check` said about one version of the module graph. */
export interface CheckOutcome {
  /** True when the graph type-checks. */
  readonly ok: boolean;
  /** The checker's own lines (empty when ok), coloured only if asked for. */
  readonly report: string;
  /** One line per error, `message (at file:line:column)`, in the checker's order. */
  readonly errors: readonly string[];
  /** True when the outcome came from the cache: the graph had not changed. */
  readonly cached: boolean;
  /** How many local files the graph has. */
  readonly files: number;
  /** How long it took, in milliseconds (the cache lookup alone when cached). */
  readonly ms: number;
}

/** A type error at start-up: the checker's report goes above the one-line message. */
export class TypeCheckError extends ConfigError {
  /** Creates the error from the checker's report and the host's own line. */
  constructor(readonly report: string, message: string) {
    super(message);
    this.name = "TypeCheckError";
  }
}

/** Options of a {@link TypeChecker}. */
export interface TypeCheckerOptions {
  /** Keep the checker's colours in reports (for a terminal). */
  readonly color?: boolean;
}

/** Runs `deno check` on a script, or answers from its cache. */
export class TypeChecker {
  /** The script's URL. */
  readonly scriptUrl: string;
  #color: boolean;
  #cache = new Map<string, Omit<CheckOutcome, "cached" | "ms">>();

  /** A checker for the script at `scriptUrl`. */
  constructor(scriptUrl: string, options: TypeCheckerOptions = {}) {
    this.scriptUrl = scriptUrl;
    this.#color = options.color ?? false;
  }

  /**
   * Type-checks the script's module graph as it is on disk now. An unchanged
   * graph (the same files with the same contents, and the same `deno.json`)
   * is answered from the cache without running `deno check` again. When a
   * file changes while deno check runs, it checks again (up to 3 times), so
   * that what it answers for is what is on disk.
   */
  async check(): Promise<CheckOutcome> {
    const started = performance.now();
    for (let attempt = 1;; attempt++) {
      const graph = await readModuleGraph(this.scriptUrl);
      const files = [...graph.files, ...await configFiles(this.scriptUrl)];
      const key = await contentDigest(files);
      const known = this.#cache.get(key);
      if (known !== undefined) {
        this.#cache.delete(key);
        this.#cache.set(key, known);
        return { ...known, cached: true, ms: performance.now() - started };
      }
      const outcome = { ...await this.#run(), files: graph.files.length };
      const stable = await contentDigest(files) === key;
      if (stable) {
        this.#cache.set(key, outcome);
        if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
      }
      if (stable || attempt === 3) {
        return { ...outcome, cached: false, ms: performance.now() - started };
      }
    }
  }

  async #run(): Promise<{ ok: boolean; report: string; errors: string[] }> {
    const { code, stderr } = await runDeno(["check", this.scriptUrl], this.scriptUrl, this.#color);
    if (code === 0) return { ok: true, report: "", errors: [] };
    const report = stderr.split("\n")
      .filter((line) => !/^(Check|Download) /.test(line.replace(ANSI, "")))
      .join("\n").trim();
    return { ok: false, report, errors: errorLines(report.replace(ANSI, "")) };
  }

  /**
   * Checks (see `check`) and logs the outcome at debug level; resolves with
   * null when the graph type-checks, else with one line: how many errors,
   * and the first.
   */
  async failure(): Promise<string | null> {
    try {
      const outcome = await this.#checkLogged();
      return outcome.ok ? null : summary(outcome);
    } catch (error) {
      return `cannot run deno check: ${messageOf(error)}`;
    }
  }

  /**
   * Checks before start-up; rejects with a {@link TypeCheckError} carrying
   * the checker's report when the graph does not type-check.
   */
  async require(): Promise<void> {
    const outcome = await this.#checkLogged().catch((error) => {
      throw new ConfigError(`--check: cannot run deno check: ${messageOf(error)}`);
    });
    if (outcome.ok) return;
    throw new TypeCheckError(
      outcome.report,
      `--check: ${summary(outcome)}; nothing was started`,
    );
  }

  async #checkLogged(): Promise<CheckOutcome> {
    const outcome = await this.check();
    const count = outcome.errors.length;
    log("check").debug("deno check {script}: {result} ({files} files, {ms} ms{cached})", {
      script: this.scriptUrl,
      result: outcome.ok ? "ok" : count === 1 ? "1 error" : `${count} errors`,
      files: outcome.files,
      ms: Math.round(outcome.ms),
      cached: outcome.cached ? "; cached: the module graph has not changed" : "",
    });
    for (const error of outcome.errors) logVerbatim(log("check"), "debug", error);
    return outcome;
  }
}

/**
 * For `--check`: checks that the host may run deno, type-checks the script
 * (rejecting with a {@link TypeCheckError} on a type error) and returns the
 * checker for reloads; null without `--check`.
 */
export async function startChecker(
  config: { readonly scriptUrl: string; readonly check?: boolean },
): Promise<TypeChecker | null> {
  if (!config.check) return null;
  requireDenoRun("--check", "deno check");
  const checker = new TypeChecker(config.scriptUrl, {
    color: Deno.stderr.isTerminal() && !Deno.noColor,
  });
  await checker.require();
  return checker;
}

/** `deno check found 2 errors; the first: TS2322 [ERROR]: … (at file:…:4:46)`. */
function summary(outcome: CheckOutcome): string {
  const count = outcome.errors.length;
  if (count === 0) return `deno check failed: ${outcome.report.replace(ANSI, "").split("\n")[0]}`;
  return `deno check found ${count === 1 ? "1 error" : `${count} errors`}; ` +
    `the first: ${outcome.errors[0]}`;
}

/**
 * One line per error of an uncoloured `deno check` report: its first line
 * (`TS2322 [ERROR]: …`, `error: SyntaxError: …`) and where, from the
 * `at file:line:column` line that follows it.
 */
export function errorLines(report: string): string[] {
  const errors: string[] = [];
  let current: string | null = null;
  const flush = (where?: string) => {
    if (current !== null) errors.push(where === undefined ? current : `${current} (at ${where})`);
    current = null;
  };
  for (const line of report.split("\n")) {
    const start = /^(?:(TS\d+ \[ERROR\]: .*)|error: (.*))$/.exec(line);
    if (start !== null) {
      flush();
      const text = start[1] ?? start[2];
      if (text !== "Type checking failed.") current = text;
      continue;
    }
    const where = /^\s+at (\S+:\d+:\d+)$/.exec(line)?.[1];
    if (where !== undefined) flush(where);
  }
  flush();
  return errors;
}
