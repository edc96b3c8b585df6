/**
 * The FIFO transport (`--rpc-fifo PATH`), Kamailio's jsonrpcs way, which
 * `kamctl rpc` speaks: JSON-RPC requests are read from a FIFO the host
 * makes, and each answer is written into the FIFO the request names
 * (`reply_name`, under `/tmp/`), then that FIFO is closed. The request FIFO
 * is made with the socket's mode, refused in a directory another user could
 * replace it in, and removed when the host stops (kamctl would hang on a
 * FIFO nobody reads). Deno has no mkfifo: the `mkfifo` command makes it.
 *
 * @module
 */

import * as fs from "node:fs";
import { log } from "../base/log.ts";
import type { TransportCounts } from "./transport_counts.ts";
import { ConfigError } from "../base/errors.ts";
import { messageOf } from "../shared/error_text.ts";
import { ownUid } from "../base/users.ts";
import { clipText } from "../shared/quote.ts";
import { ownAndRoot, replaceableBy } from "./path_trust.ts";
import { JsonText, type MethodCaller } from "./jsonrpc.ts";
import { RpcCode, RpcError } from "./errors.ts";
import { FifoScanner } from "./kamailio/fifo_scanner.ts";
import { type FifoCall, parseFifoRequest } from "./kamailio/fifo_request.ts";
import { formatFifoReply } from "./kamailio/fifo_reply.ts";
import {
  checkOpenedReplyFifo,
  checkReplyDir,
  type FileFacts,
  KAMCTL_REPLY_DIR,
  REPLY_OPEN_RETRIES,
  REPLY_OPEN_RETRY_MS,
  replyFifoPath,
} from "./kamailio/fifo_reply_fifo.ts";

/** Requests answered at once; reading the FIFO pauses there. */
export const MAX_FIFO_IN_FLIGHT = 16;
/** How long writing one answer into a reply FIFO may take before it is given up. */
const REPLY_WRITE_MS = 5000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function dirname(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut < 0 ? "." : cut === 0 ? "/" : path.slice(0, cut);
}

/**
 * What `fstat` says of a node:fs descriptor, as the reply checks read it.
 *
 * @param fd An open node:fs descriptor.
 * @returns Its facts for `checkOpenedReplyFifo`.
 */
export function factsOfFd(fd: number): FileFacts {
  const st = fs.fstatSync(fd);
  return {
    isFifo: st.isFIFO(),
    isSymlink: false,
    isDirectory: st.isDirectory(),
    nlink: st.nlink,
    uid: st.uid,
    mode: st.mode,
    dev: st.dev,
    ino: st.ino,
  };
}

/** True when some process reads the FIFO at `path` (a live server). */
function hasReader(path: string): boolean {
  try {
    const fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    fs.closeSync(fd);
    return true;
  } catch {
    return false; // ENXIO: nobody reads it
  }
}

/**
 * Clears the way for the FIFO: the directory must be safe (as the socket's),
 * a stale FIFO is removed, a live one or another kind of file stops start-up.
 */
function clearFifoPath(path: string): void {
  const risk = replaceableBy(path, ownAndRoot(ownUid([dirname(path)])));
  if (risk !== null) {
    throw new ConfigError(
      `--rpc-fifo ${path}: ${risk}: another user could put a FIFO of their own in its place ` +
        "and read the calls; use a directory of this user or root that others cannot write to",
    );
  }
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new ConfigError(`--rpc-fifo ${path}: ${messageOf(error)}`);
  }
  if (!info.isFifo) {
    throw new ConfigError(`--rpc-fifo ${path}: the path exists and is not a FIFO; not touching it`);
  }
  if (hasReader(path)) {
    throw new ConfigError(`--rpc-fifo ${path}: another process is already reading that FIFO`);
  }
  try {
    Deno.removeSync(path);
  } catch (error) {
    throw new ConfigError(
      `--rpc-fifo ${path}: removing the stale FIFO failed: ${messageOf(error)}`,
    );
  }
}

/**
 * Makes the FIFO with `mode` inside a private directory beside `path`, then
 * links it into place (which fails rather than replace what appeared there).
 * Returns its inode.
 */
async function makeFifo(path: string, mode: number): Promise<number | null> {
  if (Deno.permissions.querySync({ name: "run", command: "mkfifo" }).state !== "granted") {
    throw new ConfigError(
      "--rpc-fifo needs deno --allow-run=mkfifo: Deno cannot make a FIFO itself, " +
        "the mkfifo command does",
    );
  }
  let privateDir: string;
  try {
    privateDir = Deno.makeTempDirSync({ dir: dirname(path), prefix: ".evrexec-" });
  } catch (error) {
    throw new ConfigError(`--rpc-fifo ${path}: cannot create it there: ${messageOf(error)}`);
  }
  try {
    const staging = `${privateDir}/f`;
    const made = await new Deno.Command("mkfifo", {
      args: ["-m", mode.toString(8).padStart(4, "0"), "--", staging],
      stdout: "null",
      stderr: "piped",
    }).output().catch((error) => {
      throw new ConfigError(`--rpc-fifo ${path}: cannot run mkfifo: ${messageOf(error)}`);
    });
    if (!made.success) {
      const why = new TextDecoder().decode(made.stderr).trim();
      throw new ConfigError(`--rpc-fifo ${path}: mkfifo failed: ${clipText(why)}`);
    }
    const ino = Deno.lstatSync(staging).ino;
    try {
      Deno.linkSync(staging, path);
    } catch (error) {
      throw new ConfigError(
        error instanceof Deno.errors.AlreadyExists
          ? `--rpc-fifo ${path}: another file appeared there while the host started; not touching it`
          : `--rpc-fifo ${path}: cannot place the FIFO: ${messageOf(error)}`,
      );
    }
    return ino;
  } finally {
    Deno.removeSync(privateDir, { recursive: true });
  }
}

/** The answer object of a call: its result, or its error, and the request's id when it had one. */
async function answerOf(call: FifoCall, methods: MethodCaller): Promise<Record<string, unknown>> {
  const answer: Record<string, unknown> = { jsonrpc: "2.0" };
  try {
    const result = await methods(call.method, call.params);
    answer.result = result instanceof JsonText ? JSON.parse(result.text) : result ?? null;
  } catch (error) {
    const rpcError = error instanceof RpcError
      ? error
      : new RpcError(RpcCode.INTERNAL_ERROR, `internal error: ${messageOf(error)}`);
    answer.error = { code: rpcError.code, message: rpcError.message };
  }
  if (call.id !== undefined) answer.id = call.id;
  return answer;
}

/** Serves JSON-RPC on a FIFO, as Kamailio's jsonrpcs does for kamctl. */
export class FifoServer {
  /** The request FIFO's path. */
  readonly path: string;
  #ino: number | null;
  #file: Deno.FsFile;
  #call: MethodCaller;
  #counts: TransportCounts | undefined;
  #owners: number[];
  #replyDir = KAMCTL_REPLY_DIR;
  #inFlight = 0;
  #room: (() => void) | null = null;
  #closed = false;
  #reading: Promise<void>;

  private constructor(
    path: string,
    ino: number | null,
    file: Deno.FsFile,
    call: MethodCaller,
    counts: TransportCounts | undefined,
  ) {
    this.path = path;
    this.#ino = ino;
    this.#file = file;
    this.#call = call;
    this.#counts = counts;
    const owner = Deno.lstatSync(path).uid;
    this.#owners = [0, ...(owner === null ? [] : [owner])];
    this.#reading = this.#read();
  }

  /**
   * Makes the FIFO at `path` with `mode` and starts reading it, counting in
   * `counts` (the `fifo` transport's; none with `--stats off`); throws a
   * {@link ConfigError} (nothing left behind) when it cannot.
   */
  static async listen(
    path: string,
    mode: number,
    call: MethodCaller,
    counts?: TransportCounts,
  ): Promise<FifoServer> {
    clearFifoPath(path);
    const dirProblem = (() => {
      try {
        const info = Deno.lstatSync(KAMCTL_REPLY_DIR);
        return checkReplyDir({ ...info, isSymlink: info.isSymlink });
      } catch (error) {
        return messageOf(error);
      }
    })();
    if (dirProblem !== null) {
      throw new ConfigError(`--rpc-fifo: reply directory ${KAMCTL_REPLY_DIR}: ${dirProblem}`);
    }
    const ino = await makeFifo(path, mode);
    let file: Deno.FsFile;
    try {
      // Read and write: reading never meets end of file, and opening waits for no writer.
      file = await Deno.open(path, { read: true, write: true });
    } catch (error) {
      Deno.removeSync(path);
      throw new ConfigError(`--rpc-fifo ${path}: cannot open it: ${messageOf(error)}`);
    }
    log("rpc").info("JSON-RPC FIFO (kamctl) at {path}", { path });
    return new FifoServer(path, ino, file, call, counts);
  }

  async #read(): Promise<void> {
    const scanner = new FifoScanner();
    const chunk = new Uint8Array(16 * 1024);
    try {
      while (!this.#closed) {
        const n = await this.#file.read(chunk);
        if (n === null || this.#closed) break;
        for (const event of scanner.push(chunk.subarray(0, n))) {
          if (event.kind === "document") {
            while (this.#inFlight >= MAX_FIFO_IN_FLIGHT && !this.#closed) {
              await new Promise<void>((resolve) => this.#room = resolve);
            }
            this.#inFlight++;
            this.#serve(event.bytes).finally(() => {
              this.#inFlight--;
              this.#room?.();
              this.#room = null;
            });
          } else {
            if (this.#counts && event.kind === "oversized") this.#counts.tooLarge++;
            else if (this.#counts) this.#counts.parseErrors++;
            log("rpc").debug("--rpc-fifo: {what} of {bytes} bytes dropped", {
              what: event.kind,
              bytes: event.bytes,
            });
          }
        }
      }
    } catch (error) {
      if (!this.#closed) {
        log("rpc").error("--rpc-fifo {path}: reading failed: {error}; FIFO requests stop", {
          path: this.path,
          error: messageOf(error),
        });
      }
    }
  }

  /** Answers one request document into its reply FIFO; never throws. */
  async #serve(document: Uint8Array): Promise<void> {
    const got = parseFifoRequest(document);
    if (this.#counts) {
      if (got.ok) this.#counts.requests++;
      else this.#counts.parseErrors++;
      if (got.replyName === null) this.#counts.unanswered++;
    }
    if (!got.ok && got.replyName === null) {
      log("rpc").debug("--rpc-fifo: a request without an answer: {message}", {
        message: got.message,
      });
      return;
    }
    const answer = got.ok
      ? await answerOf(got.call, this.#call)
      : { jsonrpc: "2.0", error: { code: got.code, message: got.message }, id: got.id };
    let text = formatFifoReply(answer);
    if (!text.ok) {
      text = formatFifoReply({
        jsonrpc: "2.0",
        error: { code: RpcCode.INTERNAL_ERROR, message: text.message },
        ...(Object.hasOwn(answer, "id") ? { id: answer.id } : {}),
      });
    }
    try {
      await this.#reply(got.replyName!, text.ok ? text.text : "");
    } catch (error) {
      if (this.#counts) this.#counts.unanswered++;
      log("rpc").debug("--rpc-fifo: answer to {name} not written: {error}", {
        name: got.replyName,
        error: messageOf(error),
      });
    }
  }

  /**
   * Writes `text` into the reply FIFO `name` and closes it. It is opened
   * without blocking, retried while no one reads it yet (kamctl starts its
   * reader late), and checked before anything is written: a FIFO, not a
   * link, owned by this host's user or root.
   */
  async #reply(name: string, text: string): Promise<void> {
    const path = replyFifoPath(this.#replyDir, name);
    let fd: number | null = null;
    for (let attempt = 0; fd === null; attempt++) {
      try {
        fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== "ENXIO" || attempt >= REPLY_OPEN_RETRIES || this.#closed) throw error;
        await sleep(REPLY_OPEN_RETRY_MS);
      }
    }
    try {
      const named = Deno.lstatSync(path);
      const refusal = checkOpenedReplyFifo(factsOfFd(fd), named, this.#owners);
      if (refusal !== null) throw new Error(`${path}: ${refusal}`);
      const bytes = new TextEncoder().encode(text);
      const deadline = Date.now() + REPLY_WRITE_MS;
      for (let done = 0; done < bytes.length;) {
        try {
          done += fs.writeSync(fd, bytes, done);
        } catch (error) {
          // The descriptor stays non-blocking (node:fs has no fcntl): wait while the pipe is full.
          const code = (error as { code?: string }).code;
          if (code !== "EAGAIN" || Date.now() > deadline || this.#closed) throw error;
          await sleep(5);
        }
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Lets answers under way finish for up to `timeoutMs`, stops reading, removes the FIFO. */
  async close(timeoutMs = 0): Promise<void> {
    if (this.#closed) return;
    const deadline = performance.now() + timeoutMs;
    while (this.#inFlight > 0 && performance.now() < deadline) await sleep(20);
    this.#closed = true;
    this.#room?.();
    try {
      if (Deno.lstatSync(this.path).ino === this.#ino) {
        // Wake the pending read with a byte of our own, then remove the FIFO.
        const fd = fs.openSync(this.path, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
        try {
          fs.writeSync(fd, new Uint8Array([10]));
        } finally {
          fs.closeSync(fd);
        }
        Deno.removeSync(this.path);
      }
    } catch {
      // gone already
    }
    try {
      this.#file.close();
    } catch {
      // closed already
    }
    await Promise.race([this.#reading, sleep(100)]);
  }
}
