/**
 * `--watch`: watches the files of the script's module graph (not whole
 * directories) and hands each debounced batch of changes to a reload.
 *
 * @module
 */

import { dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { messageOf } from "../shared/error_text.ts";
import { ChangeDebouncer, type DebounceTimers, REAL_TIMERS } from "./debounce.ts";
import { log, logVerbatim } from "../base/log.ts";
import { readModuleGraph } from "../base/module_graph.ts";

/** Quiet time after the last change of a burst before the reload starts. */
export const WATCH_QUIET_MS = 150;
/** First pause before watching is tried again after it failed (out of inotify instances or watches). */
export const WATCH_RETRY_MS = 1000;
/** The pause doubles up to this. */
export const WATCH_RETRY_MAX_MS = 30_000;

/** The file-system events that change a file (not "access": a file closed after writing). */
const CHANGE_KINDS = new Set<Deno.FsEvent["kind"]>([
  "any",
  "create",
  "modify",
  "remove",
  "rename",
  "other",
]);

/** Options of a {@link ScriptWatcher}. */
export interface WatcherOptions {
  /** The script's URL. */
  readonly scriptUrl: string;
  /**
   * Reloads after a batch of changes (paths as shown to people); resolves
   * when the reload succeeded, rejects with its error otherwise.
   */
  readonly reload: (changed: readonly string[]) => Promise<unknown>;
  /** Quiet time after the last change before `reload` (default {@link WATCH_QUIET_MS}). */
  readonly quietMs?: number;
  /** The clock of the debouncer (tests). */
  readonly timers?: DebounceTimers;
  /** First pause before a failed watch is tried again (default {@link WATCH_RETRY_MS}). */
  readonly retryMs?: number;
  /** What starts watching (default `Deno.watchFs`; tests inject failures). */
  readonly watchFs?: (paths: string[], options: { recursive: boolean }) => Deno.FsWatcher;
}

/** Watches a script's module graph and reloads on changes. */
export class ScriptWatcher {
  #options: WatcherOptions;
  #scriptDir: string;
  #files = new Set<string>();
  #dirs = "";
  #fs: Deno.FsWatcher | null = null;
  #debouncer: ChangeDebouncer;
  #refreshing: Promise<void> = Promise.resolve();
  #stopped = false;
  /** While watching fails: the next pause, and the timer of the next try. */
  #retryMs = 0;
  #retry: ReturnType<typeof setTimeout> | null = null;

  /** A watcher; `start` reads the graph and begins watching. */
  constructor(options: WatcherOptions) {
    this.#options = options;
    this.#scriptDir = dirname(fileURLToPath(options.scriptUrl));
    this.#debouncer = new ChangeDebouncer(
      options.quietMs ?? WATCH_QUIET_MS,
      (changed) => this.#reload(changed),
      options.timers ?? REAL_TIMERS,
    );
  }

  /** The files watched now, as absolute paths. */
  get files(): readonly string[] {
    return [...this.#files];
  }

  /** True while the files are watched (false while watching fails and is retried). */
  get watching(): boolean {
    return this.#fs !== null;
  }

  /** Reads the module graph and starts watching its files. */
  async start(): Promise<void> {
    await this.refresh();
    if (!this.watching) return; // said already, and retried
    log("watch").info("watching {count} files of the module graph of {script}", {
      count: this.#files.size,
      script: this.#options.scriptUrl,
    });
  }

  /**
   * Reads the module graph again and watches its files: a new import is
   * watched from now on. A graph with a module that did not load adds its
   * files to those watched (until the graph loads again, the old imports
   * may still matter); a clean graph replaces them.
   */
  refresh(): Promise<void> {
    this.#refreshing = this.#refreshing.then(() => this.#refresh());
    return this.#refreshing;
  }

  /** Stops watching; a pending batch of changes is dropped. */
  stop(): void {
    this.#stopped = true;
    this.#debouncer.stop();
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
    this.#fs?.close();
    this.#fs = null;
  }

  async #refresh(): Promise<void> {
    if (this.#stopped) return;
    let files: Set<string>;
    try {
      const graph = await readModuleGraph(this.#options.scriptUrl);
      files = new Set(graph.broken ? [...this.#files, ...graph.files] : graph.files);
    } catch (error) {
      log("watch").warn("cannot read the module graph, still watching the same files: {error}", {
        error: messageOf(error),
      });
      return;
    }
    if (this.#stopped) return;
    const added = [...files].filter((file) => !this.#files.has(file));
    const removed = [...this.#files].filter((file) => !files.has(file));
    if (this.#files.size > 0 && (added.length > 0 || removed.length > 0)) {
      log("watch").debug("now watching {count} files; added: {added}; removed: {removed}", {
        count: files.size,
        added: added.map((file) => this.#shown(file)).join(", ") || "none",
        removed: removed.map((file) => this.#shown(file)).join(", ") || "none",
      });
    }
    this.#files = files;
    try {
      this.#watchDirs();
    } catch (error) {
      this.#watchFailed(error);
      return;
    }
    if (this.#retryMs > 0) {
      this.#retryMs = 0;
      log("watch").info("watching {count} files of the module graph of {script} again", {
        count: this.#files.size,
        script: this.#options.scriptUrl,
      });
    }
  }

  /**
   * Watching failed (no inotify instance or watch left, no descriptor): said
   * once, with what is lost meanwhile, and tried again after a pause that
   * doubles up to {@link WATCH_RETRY_MAX_MS}.
   */
  #watchFailed(error: unknown): void {
    this.#fs?.close();
    this.#fs = null;
    this.#dirs = "";
    if (this.#retryMs === 0) {
      log("watch").error(
        "cannot watch the module graph's directories: {error}; saves are not seen until " +
          "watching works again (tried again after {ms} ms, then less and less often)",
        { error: messageOf(error), ms: this.#options.retryMs ?? WATCH_RETRY_MS },
      );
    }
    const first = this.#options.retryMs ?? WATCH_RETRY_MS;
    this.#retryMs = this.#retryMs === 0 ? first : Math.min(this.#retryMs * 2, WATCH_RETRY_MAX_MS);
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.refresh();
    }, this.#retryMs);
  }

  /** Watches the directories of the files (an editor's rename replaces a file's inode). */
  #watchDirs(): void {
    const dirs = [...new Set([...this.#files].map((file) => dirname(file)))].filter((dir) => {
      try {
        return Deno.statSync(dir).isDirectory;
      } catch {
        return false;
      }
    }).sort();
    if (dirs.join("\n") === this.#dirs && this.#fs !== null) return;
    const previous = this.#fs;
    this.#fs = (this.#options.watchFs ?? Deno.watchFs)(dirs, { recursive: false });
    this.#dirs = dirs.join("\n");
    previous?.close();
    this.#consume(this.#fs);
  }

  async #consume(fs: Deno.FsWatcher): Promise<void> {
    try {
      for await (const event of fs) {
        if (!CHANGE_KINDS.has(event.kind)) continue;
        for (const path of event.paths) {
          if (this.#files.has(path)) this.#debouncer.note(path);
        }
      }
    } catch (error) {
      if (!this.#stopped && fs === this.#fs) {
        log("watch").error("watching stopped: {error}", { error: messageOf(error) });
      }
    }
  }

  async #reload(changed: string[]): Promise<void> {
    const shown = changed.map((file) => this.#shown(file));
    const started = performance.now();
    try {
      await this.#options.reload(shown);
    } catch (error) {
      logVerbatim(
        log("watch"),
        "error",
        `${shown.join(", ")} changed; ${messageOf(error)} (after ${
          Math.round(performance.now() - started)
        } ms; waiting for the next change)`,
      );
    }
  }

  #shown(file: string): string {
    const path = relative(this.#scriptDir, file);
    return path.startsWith("../../") ? file : path;
  }
}

/**
 * For `--watch`: starts a {@link ScriptWatcher} that calls `reload` with
 * each batch of changed files; null without `--watch`.
 */
export async function startWatcher(
  config: { readonly scriptUrl: string; readonly watch?: boolean },
  reload: (changed: readonly string[]) => Promise<unknown>,
): Promise<ScriptWatcher | null> {
  if (!config.watch) return null;
  const watcher = new ScriptWatcher({ scriptUrl: config.scriptUrl, reload });
  await watcher.start();
  return watcher;
}
