/**
 * Test helpers: start the host as a subprocess on a temporary socket, read
 * what it writes, call it, stop it, and clean up.
 *
 * @module
 */

import { RpcClient } from "../../src/client/client.ts";
import { makeTestDir, removeTestDir } from "./temp_dir.ts";

/** The permissions the README tells users to give the host. */
export const HOST_PERMISSIONS = ["--allow-read", "--allow-write", "--allow-env", "--allow-net"];
/** The flags the deno tasks give the host: its inspector parked, so SIGUSR1 opens no debugger. */
export const PARK_FLAGS = ["--inspect=127.255.255.255:0", "--inspect-publish-uid=http"];
/** The repository's root directory. */
export const ROOT = new URL("../..", import.meta.url).pathname;
const MOD = new URL("../../mod.ts", import.meta.url).pathname;

/** Path of a fixture script. */
export function fixture(name: string): string {
  return new URL(`../fixtures/${name}`, import.meta.url).pathname;
}

/** How a host process ended. */
export interface Exit {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Collects a stream's text as it arrives. */
class Output {
  text = "";
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = (async () => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) this.text += chunk;
    })();
  }

  /** Polls until the text matches `pattern`; throws with the text on timeout. */
  async waitFor(
    pattern: RegExp,
    timeoutMs: number,
    ended: () => boolean,
  ): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const finished = ended();
      if (finished) await this.done;
      const match = this.text.match(pattern);
      if (match) return match;
      if (finished || Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${pattern} (${finished ? "host exited" : `${timeoutMs} ms`}); ` +
            `output so far:\n${this.text}`,
        );
      }
      await sleep(25);
    }
  }

  /** How many times `pattern` occurs. */
  count(pattern: RegExp): number {
    const flags = pattern.flags.includes("g") ? pattern.flags : pattern.flags + "g";
    return [...this.text.matchAll(new RegExp(pattern.source, flags))].length;
  }
}

/** A host process started by a test. */
export class TestHost {
  readonly process: Deno.ChildProcess;
  readonly socket: string;
  readonly dir: string;
  readonly stderr: Output;
  readonly stdout: Output;
  #status: Deno.CommandStatus | null = null;
  #clients: RpcClient[] = [];
  readonly exited: Promise<Deno.CommandStatus>;

  constructor(process: Deno.ChildProcess, socket: string, dir: string) {
    this.process = process;
    this.socket = socket;
    this.dir = dir;
    this.stderr = new Output(process.stderr);
    this.stdout = new Output(process.stdout);
    this.exited = process.status.then((status) => this.#status = status);
  }

  /** The process id. */
  get pid(): number {
    return this.process.pid;
  }

  /** True once the process has exited. */
  get hasExited(): boolean {
    return this.#status !== null;
  }

  /** Everything the host wrote to stderr (its log) so far. */
  get log(): string {
    return this.stderr.text;
  }

  /** Waits until the log matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    return this.stderr.waitFor(pattern, timeoutMs, () => this.hasExited);
  }

  /** How many times `pattern` occurs in the log. */
  count(pattern: RegExp): number {
    return this.stderr.count(pattern);
  }

  /** A new RPC client on the host's socket, closed by `stop`. */
  async client(): Promise<RpcClient> {
    const client = await RpcClient.connect(this.socket);
    this.#clients.push(client);
    return client;
  }

  /** Calls one method on a fresh connection. */
  async call(method: string, params?: unknown[] | Record<string, unknown>): Promise<unknown> {
    const client = await this.client();
    return client.call(method, params);
  }

  /** Sends `signal` and waits for the exit; returns code, output and how long it took. */
  stop(signal: Deno.Signal = "SIGTERM", timeoutMs = 10_000): Promise<Exit & { ms: number }> {
    return this.waitExit(timeoutMs, signal);
  }

  /**
   * Waits for the host to exit (after sending `signal`, if given); kills it
   * after `timeoutMs`.
   */
  async waitExit(timeoutMs = 20_000, signal?: Deno.Signal): Promise<Exit & { ms: number }> {
    const started = performance.now();
    for (const client of this.#clients) await client.close();
    this.#clients = [];
    if (signal !== undefined && !this.hasExited) {
      try {
        this.process.kill(signal);
      } catch {
        // exited meanwhile
      }
    }
    const timer = setTimeout(() => {
      try {
        this.process.kill("SIGKILL");
      } catch {
        // exited meanwhile
      }
    }, timeoutMs);
    const status = await this.exited;
    const ms = performance.now() - started;
    clearTimeout(timer);
    // A child the host left behind may hold its pipes open: read on for at most 5 s.
    let pipesTimer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([this.stderr.done, this.stdout.done]),
      new Promise((resolve) => pipesTimer = setTimeout(resolve, 5000)),
    ]);
    clearTimeout(pipesTimer);
    return { code: status.code, stdout: this.stdout.text, stderr: this.stderr.text, ms };
  }

  /**
   * Kills the host if it still runs and removes its temporary directory
   * (left till then for the test to read; removed when the test file ends
   * at the latest, see `temp_dir.ts`).
   */
  async cleanup(): Promise<void> {
    await this.stop("SIGKILL");
    await removeTestDir(this.dir);
  }
}

/** Hosts started by this test file that may still run. */
const running = new Set<TestHost>();

// A host still running when the test file ends (its test failed before
// `cleanup`) is killed then, before its directory is removed (this listener
// is registered first, when this module loads).
addEventListener("unload", () => {
  for (const host of running) {
    try {
      host.process.kill("SIGKILL");
    } catch {
      // exited meanwhile
    }
  }
});

/** Remembers `host` until it exits, to kill it at the end if need be. */
function killAtEnd(host: TestHost): void {
  running.add(host);
  host.exited.then(() => running.delete(host), () => running.delete(host));
}

/** Options for {@link startHost}. */
export interface StartOptions {
  /** Exec specs, one `--exec` each. */
  readonly exec?: readonly string[];
  /** More arguments before SCRIPT. */
  readonly args?: readonly string[];
  /** Wait for "host ready" in the log (default true). */
  readonly ready?: boolean;
  /** Extra environment variables. */
  readonly env?: Record<string, string>;
  /**
   * Use this socket path instead of one in a fresh temporary directory.
   * When unset and `env` has EVREXEC_SOCKET, no --socket is passed.
   */
  readonly socket?: string;
  /** Deno flags added to {@link HOST_PERMISSIONS} (e.g. `--allow-run`). */
  readonly permissions?: readonly string[];
  /** False: run without `--unstable-net`, which the deno tasks pass. */
  readonly unstableNet?: boolean;
  /** False: run without `--unstable-worker-options`, which the deno tasks pass. */
  readonly unstableWorkerOptions?: boolean;
  /** False: run without {@link PARK_FLAGS}, which the deno tasks pass. */
  readonly parked?: boolean;
}

/**
 * Starts the host on `script` (null: none on the command line, a `--config`
 * file names it) with a socket in a new temporary directory.
 */
export async function startHost(
  script: string | null,
  options: StartOptions = {},
): Promise<TestHost> {
  const dir = await makeTestDir("evrexec-test-");
  const fromEnv = options.socket === undefined ? options.env?.EVREXEC_SOCKET : undefined;
  const socket = fromEnv ?? options.socket ?? `${dir}/rpc.sock`;
  const args = [
    "run",
    "--quiet", // no "Download …" notices from Deno in what the tests read
    ...(options.unstableNet === false ? [] : ["--unstable-net"]), // as the deno tasks run it
    ...(options.unstableWorkerOptions === false ? [] : ["--unstable-worker-options"]),
    ...(options.parked === false ? [] : PARK_FLAGS),
    ...HOST_PERMISSIONS,
    ...(options.permissions ?? []),
    MOD,
    ...(fromEnv === undefined ? ["--socket", socket] : []),
    ...(options.exec ?? []).flatMap((spec) => ["--exec", spec]),
    ...(options.args ?? []),
    ...(script === null ? [] : [script]),
  ];
  const process = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1", ...options.env },
  }).spawn();
  const host = new TestHost(process, socket, dir);
  killAtEnd(host);
  if (options.ready ?? true) {
    try {
      await host.waitFor(/host ready/);
    } catch (error) {
      await host.cleanup();
      throw error;
    }
  }
  return host;
}

/** Runs the host to its exit (for start-up errors); kills it after `timeoutMs`. */
export async function runHost(
  args: readonly string[],
  timeoutMs = 20_000,
  env: Record<string, string> = {},
): Promise<Exit> {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--unstable-net", ...PARK_FLAGS, ...HOST_PERMISSIONS, MOD, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  const timer = setTimeout(() => process.kill("SIGKILL"), timeoutMs);
  const { code, stdout, stderr } = await process.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Runs a test with a started host and always cleans it up. */
export function withHost(
  script: string | null,
  options: StartOptions,
  body: (host: TestHost) => Promise<void>,
): () => Promise<void> {
  return async () => {
    const host = await startHost(script, options);
    try {
      await body(host);
    } finally {
      await host.cleanup();
    }
  };
}

/** True while a process with `pid` exists. */
export function processExists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
