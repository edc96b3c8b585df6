/**
 * The host under soak: started through bench/soak/host.ts on a temporary
 * socket, its log written to a file and its warnings and errors counted.
 *
 * @module
 */

import { HOST_PERMISSIONS, PARK_FLAGS } from "../common/launch.ts";

const SOAK_HOST = new URL("./host.ts", import.meta.url).pathname;
const SCRIPT = new URL("./fixture.ts", import.meta.url).pathname;
const READY_MS = 60_000;

/** A host process for the soak. */
export class SoakHost {
  /** The RPC socket. */
  readonly socket: string;
  /** Where the host writes its main thread's memory use. */
  readonly statsFile: string;
  /** Log lines at warning level. */
  warnings = 0;
  /** Log lines at error level. */
  errors = 0;
  #process: Deno.ChildProcess;
  #dir: string;
  #exited = false;
  #killedOnPurpose = false;
  #logging: Promise<void>;

  private constructor(dir: string, options: readonly string[], logFile: string) {
    this.#dir = dir;
    this.socket = `${dir}/rpc.sock`;
    this.statsFile = `${dir}/stats.json`;
    this.#process = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        ...PARK_FLAGS,
        ...HOST_PERMISSIONS,
        SOAK_HOST,
        "--socket",
        this.socket,
        ...options,
        SCRIPT,
      ],
      env: { NO_COLOR: "1", SOAK_STATS: this.statsFile },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#process.status.then(() => this.#exited = true);
    this.#logging = this.#log(logFile);
  }

  /** Starts the host and waits for "host ready". */
  static async start(options: readonly string[], logFile: string): Promise<SoakHost> {
    const dir = await Deno.makeTempDir({ prefix: "evrexec-soak-" });
    const host = new SoakHost(dir, options, logFile);
    const deadline = Date.now() + READY_MS;
    while (!host.#ready) {
      if (host.#exited || Date.now() > deadline) {
        await host.kill();
        throw new Error(`the host did not start; its log is in ${logFile}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return host;
  }

  #ready = false;

  async #log(logFile: string): Promise<void> {
    const file = await Deno.open(logFile, { write: true, create: true, truncate: true });
    const decoder = new TextDecoder();
    let partial = "";
    try {
      for await (const chunk of this.#process.stderr) {
        await file.write(chunk);
        const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
        partial = lines.pop()!;
        for (const line of lines) {
          if (line.includes("[WRN]")) this.warnings++;
          else if (line.includes("[ERR]") || line.includes("[FTL]")) this.errors++;
          else if (!this.#ready && line.includes("host ready")) this.#ready = true;
        }
      }
    } finally {
      file.close();
    }
  }

  /** The process id. */
  get pid(): number {
    return this.#process.pid;
  }

  /** True while the process runs. */
  get alive(): boolean {
    return !this.#exited;
  }

  /** True unless the host exited before the soak stopped it. */
  get aliveToTheEnd(): boolean {
    return this.#killedOnPurpose || !this.#exited;
  }

  /** SIGTERM, as a service manager would; resolves with the exit code and how long it took. */
  async stop(): Promise<{ code: number; ms: number }> {
    if (this.#exited) return { code: (await this.#process.status).code, ms: NaN };
    this.#killedOnPurpose = true;
    const started = performance.now();
    this.#process.kill("SIGTERM");
    const timer = setTimeout(() => this.#signal("SIGKILL"), 30_000);
    const status = await this.#process.status;
    clearTimeout(timer);
    return { code: status.code, ms: performance.now() - started };
  }

  #signal(signal: Deno.Signal): void {
    try {
      this.#process.kill(signal);
    } catch {
      // exited meanwhile
    }
  }

  /** Kills the host if it still runs, and removes its temporary directory. */
  async kill(): Promise<void> {
    if (!this.#exited) {
      this.#killedOnPurpose = true;
      this.#signal("SIGKILL");
      await this.#process.status;
    }
    await this.#logging.catch(() => {});
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}
