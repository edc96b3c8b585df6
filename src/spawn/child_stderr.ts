/**
 * A process worker's stderr, copied to the host's line by line (the
 * script's `console.error` shows as it does from a thread), except V8's
 * out-of-memory report, which ends the child: it is held back and noted, so
 * that the host logs one line about the heap cap instead of a C stack trace.
 *
 * @module
 */

import type { Readable } from "node:stream";
import { writeAllSync } from "../base/streams.ts";

/** The first line of V8's report when a heap runs out. */
const REPORT_START = /^\s*<--- Last few GCs --->|Fatal JavaScript out of memory|heap out of memory/;
const OUT_OF_MEMORY = /out of memory|Reached heap limit/i;
const encoder = new TextEncoder();

/** Copies a child's stderr to the host's and watches for V8's out-of-memory report. */
export class ChildStderr {
  #rest = "";
  #held = false;
  #outOfMemory = false;
  /** Resolves once the stream has ended. */
  readonly done: Promise<void>;

  /** Starts copying `stream`. */
  constructor(stream: Readable) {
    stream.setEncoding("utf8");
    this.done = new Promise((resolve) => {
      stream.on("data", (chunk: string) => this.#take(chunk));
      stream.on("close", () => {
        if (this.#rest !== "") this.#take("\n");
        resolve();
      });
      stream.on("error", () => resolve());
    });
  }

  /** True once V8 reported that a heap ran out. */
  get outOfMemory(): boolean {
    return this.#outOfMemory;
  }

  #take(text: string): void {
    const lines = (this.#rest + text).split("\n");
    this.#rest = lines.pop() ?? "";
    let out = "";
    for (const line of lines) {
      if (REPORT_START.test(line)) this.#held = true;
      if (this.#held && OUT_OF_MEMORY.test(line)) this.#outOfMemory = true;
      if (!this.#held) out += `${line}\n`;
    }
    if (out === "") return;
    try {
      writeAllSync(Deno.stderr, encoder.encode(out));
    } catch {
      // the host's stderr is gone
    }
  }
}
