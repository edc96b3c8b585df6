/**
 * The log file (`--log-file`): records are queued and written by one async
 * loop, so a slow or full disk never blocks the host's thread; past a bound
 * they are dropped and counted, and the count is logged once writes succeed
 * again; a record a full disk cut in half is ended with {@link CUT_MARK} and
 * a line feed, so the next one starts a line of its own. The file rotates by
 * size (PATH.1 … PATH.N) and reopens on request (SIGUSR2 or
 * `evrexec.reopen_log`, for logrotate's `create` mode). The path
 * is never opened through a symbolic link, nor renamed when it is one; a new
 * file is created 0600, or with the mode and owner of the one it replaces
 * (`log_path.ts`).
 *
 * @module
 */

import { settlesWithin } from "./deadline.ts";
import { messageOf } from "../shared/error_text.ts";
import { ConfigError } from "./errors.ts";
import { closeQuietly, writeAll, writeAllSync } from "./streams.ts";
import { type LogFileLook, lookOf, openLogPath, pathIsFile } from "./log_path.ts";

/** Settings of the log file. */
export interface LogFileOptions {
  /** Where the log goes. */
  readonly path: string;
  /** Rotate before a record would take the file past this many bytes; 0: never. */
  readonly maxBytes: number;
  /** Rotated files kept: PATH.1 (the newest) to PATH.keep. */
  readonly keep: number;
}

/** What the log file tells its owner. */
export interface LogFileEvents {
  /** Records were dropped (a slow or full disk), and writes succeed again. */
  dropped(count: number, path: string): void;
  /** Something about the file went wrong (a rotation, a reopen); one line. */
  problem(message: string): void;
}

/** The most bytes of records that wait for the disk; past it records are dropped. */
export const LOG_QUEUE_BYTES = 4 * 1024 * 1024;
/** One write takes at most this many bytes of records. */
const BATCH_BYTES = 64 * 1024;
/** What ends a record that a failed write cut short, before the next one. */
export const CUT_MARK = " [cut short by a failed write]";
const CUT_ENDING = new TextEncoder().encode(`${CUT_MARK}\n`);
const EMPTY = new Uint8Array(0);

/** A log file that is written without blocking the thread that logs. */
export class LogFile {
  #options: LogFileOptions;
  #events: LogFileEvents;
  #file: Deno.FsFile;
  #size: number;
  #rotates: boolean;
  #regular: boolean;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #dropped = 0;
  #running = false;
  #inFlight = false;
  #reopen = false;
  #reopened: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #closed = false;
  #idle: (() => void)[] = [];
  /** A write failed: it may have left half a record. */
  #mayBeCut = false;
  /** The file ends with half a record: the next write ends its line first. */
  #lineOpen = false;

  private constructor(
    options: LogFileOptions,
    events: LogFileEvents,
    file: Deno.FsFile,
    info: Deno.FileInfo,
  ) {
    this.#options = options;
    this.#events = events;
    this.#file = file;
    this.#size = info.size;
    this.#regular = info.isFile;
    this.#rotates = info.isFile && options.maxBytes > 0;
  }

  /**
   * Opens (creates) the file; throws a {@link ConfigError} when it cannot,
   * or when the path is a symbolic link.
   */
  static async open(options: LogFileOptions, events: LogFileEvents): Promise<LogFile> {
    try {
      const file = await openLogPath(options.path);
      return new LogFile(options, events, file, await file.stat());
    } catch (error) {
      throw new ConfigError(`cannot open --log-file ${options.path}: ${messageOf(error)}`);
    }
  }

  /** The path the file was opened by. */
  get path(): string {
    return this.#options.path;
  }

  /** Records dropped since writes last succeeded. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues one record; drops and counts it when the queue is full. */
  write(record: Uint8Array): void {
    if (this.#closed) return;
    if (this.#queued + record.length > LOG_QUEUE_BYTES) {
      this.#dropped++;
      return;
    }
    this.#queue.push(record);
    this.#queued += record.length;
    this.#kick();
  }

  /**
   * Closes the file and opens the path anew (after the file was moved away).
   * Resolves once done; rejects with the problem (also told to the events),
   * and then writing goes on to the file open before.
   */
  reopen(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the log file is closed"));
    const done = new Promise<void>((resolve, reject) => this.#reopened.push({ resolve, reject }));
    this.#reopen = true;
    this.#kick();
    return done;
  }

  /** Resolves once every queued record is written, or after `timeoutMs`. */
  async flush(timeoutMs: number): Promise<void> {
    if (!this.#running) return;
    await settlesWithin(new Promise<void>((resolve) => this.#idle.push(resolve)), timeoutMs);
  }

  /**
   * Writes what is queued at once, on the way out of the process: only to a
   * regular file, and only when no write is stuck in flight.
   */
  flushSync(): void {
    if (this.#closed || this.#inFlight || !this.#regular) return;
    try {
      for (const record of this.#queue.splice(0)) writeAllSync(this.#file, record);
    } catch {
      // the disk refuses: nothing more can be done on the way out
    }
    this.#queued = 0;
  }

  /** Stops writing and closes the file (queued records are dropped). */
  close(): void {
    this.#closed = true;
    closeQuietly(this.#file);
    for (const { reject } of this.#reopened.splice(0)) reject(new Error("the log file is closed"));
  }

  #kick(): void {
    if (!this.#running) this.#run();
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (!this.#closed) {
        if (this.#reopen) {
          this.#reopen = false;
          await this.#reopenNow();
        } else if (this.#queue.length === 0) {
          break;
        } else if (this.#mustRotate(this.#queue[0].length)) {
          await this.#rotate();
        } else {
          await this.#writeBatch();
        }
      }
    } finally {
      this.#running = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  #mustRotate(bytes: number): boolean {
    return this.#rotates && this.#size > 0 && this.#size + bytes > this.#options.maxBytes;
  }

  /** Writes the next records, as many as fit in one batch and before the next rotation. */
  async #writeBatch(): Promise<void> {
    let count = 0, bytes = 0;
    while (count < this.#queue.length) {
      const next = this.#queue[count].length;
      const past = this.#rotates && this.#size + bytes + next > this.#options.maxBytes;
      if (count > 0 && (bytes + next > BATCH_BYTES || past)) break;
      bytes += next;
      count++;
    }
    const records = this.#queue.splice(0, count);
    this.#queued -= bytes;
    if (this.#mayBeCut && await this.#endsCut()) this.#lineOpen = true;
    const ending = this.#lineOpen ? CUT_ENDING : EMPTY;
    const batch = new Uint8Array(ending.length + bytes);
    batch.set(ending);
    let at = ending.length;
    for (const record of records) {
      batch.set(record, at);
      at += record.length;
    }
    this.#inFlight = true;
    try {
      await writeAll(this.#file, batch);
      this.#size += batch.length;
      this.#mayBeCut = this.#lineOpen = false;
      if (this.#dropped > 0) {
        const dropped = this.#dropped;
        this.#dropped = 0;
        this.#events.dropped(dropped, this.#options.path);
      }
    } catch {
      this.#dropped += count; // a full disk, an I/O error: counted, and told once writes succeed
      this.#mayBeCut = true;
    } finally {
      this.#inFlight = false;
    }
  }

  /**
   * Whether the file grew past what was written whole: a write that failed
   * wrote part of its records (a disk that filled up midway). The size is
   * then taken as it is.
   */
  async #endsCut(): Promise<boolean> {
    const size = await this.#file.stat().then((info) => info.size, () => this.#size);
    const cut = size > this.#size;
    this.#size = size;
    return cut;
  }

  /** PATH.(i) becomes PATH.(i+1), PATH becomes PATH.1, and a new PATH is opened. */
  async #rotate(): Promise<void> {
    const { path, keep } = this.#options;
    try {
      if (!await pathIsFile(path, this.#file)) {
        this.#rotates = false;
        this.#events.problem(
          `the log file ${path} is no longer the file the host writes (a symbolic link or ` +
            "another file is there now); not rotated, writing on to the file open before",
        );
        return;
      }
      for (let i = keep - 1; i >= 1; i--) {
        await Deno.rename(`${path}.${i}`, `${path}.${i + 1}`).catch((error) => {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        });
      }
      const look = await this.#look();
      if (keep > 0) await Deno.rename(path, `${path}.1`);
      else await Deno.remove(path);
      await this.#swap(await openLogPath(path, look, this.#events.problem));
    } catch (error) {
      this.#rotates = false;
      this.#events.problem(
        `cannot rotate the log file ${path} (${messageOf(error)}); it grows without rotation`,
      );
    }
  }

  async #reopenNow(): Promise<void> {
    const waiting = this.#reopened.splice(0);
    try {
      const look = await this.#look();
      await this.#swap(await openLogPath(this.#options.path, look, this.#events.problem));
      for (const { resolve } of waiting) resolve();
    } catch (error) {
      const message = `cannot reopen the log file ${this.#options.path} (${messageOf(error)}); ` +
        "writing on to the file open before";
      this.#events.problem(message);
      for (const { reject } of waiting) reject(new Error(message));
    }
  }

  /** The mode and owner of the file open now, for a file that replaces it. */
  async #look(): Promise<LogFileLook> {
    return lookOf(await this.#file.stat());
  }

  async #swap(file: Deno.FsFile): Promise<void> {
    const info = await file.stat();
    closeQuietly(this.#file);
    this.#file = file;
    this.#size = info.size;
    this.#regular = info.isFile;
    this.#rotates = info.isFile && this.#options.maxBytes > 0;
  }
}
