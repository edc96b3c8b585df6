/**
 * A throwaway PostgreSQL server for tests: `initdb` in a temporary directory,
 * run as an unprivileged user (PostgreSQL refuses root), listening on
 * 127.0.0.1 on a free port with its Unix socket in the same directory, fsync
 * off. The server can be stopped and started again on the same data and port
 * (the "database went away" scenarios); `cleanup()` stops it and removes
 * everything.
 *
 * Where the binaries are missing, {@link POSTGRES_BIN} is null and
 * {@link postgresSkip} says so in one line (`.ci/run` installs Debian's
 * `postgresql`, so CI runs these tests).
 *
 * @module
 */

import { makeTestDir, removeTestDir } from "./temp_dir.ts";

/** The user a root test process runs the server as. */
const SERVER_USER = "postgres";
/** The database user the server is made with (trust authentication, 127.0.0.1 only). */
export const PG_USER = "evrexec";
/** How long a start may take before it counts as failed. */
const START_TIMEOUT_MS = 30_000;
/** The last bytes of the server's log kept for error messages. */
const LOG_KEEP = 16_384;

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * The directory of `initdb` and `postgres`: `$EVREXEC_PG_BIN`, else Debian's
 * `/usr/lib/postgresql/<version>/bin` (15 first, then the newest), else the PATH.
 */
function findBin(): string | null {
  const given = Deno.env.get("EVREXEC_PG_BIN");
  if (given !== undefined) return isExecutable(`${given}/postgres`) ? given : null;
  const versions: number[] = [];
  try {
    for (const entry of Deno.readDirSync("/usr/lib/postgresql")) {
      if (/^[0-9]+$/.test(entry.name)) versions.push(Number(entry.name));
    }
  } catch { /* no Debian layout */ }
  versions.sort((a, b) => (a === 15 ? -1 : b === 15 ? 1 : b - a));
  for (const version of versions) {
    const dir = `/usr/lib/postgresql/${version}/bin`;
    if (isExecutable(`${dir}/initdb`) && isExecutable(`${dir}/postgres`)) return dir;
  }
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir !== "" && isExecutable(`${dir}/initdb`) && isExecutable(`${dir}/postgres`)) return dir;
  }
  return null;
}

/** Where `initdb` and `postgres` are, or null when PostgreSQL is not installed. */
export const POSTGRES_BIN: string | null = findBin();

let skipSaid = false;
/**
 * True when the PostgreSQL tests must be skipped; says why once per process,
 * in one line. Use as `Deno.test({ ignore: postgresSkip(), ... })`.
 */
export function postgresSkip(): boolean {
  if (POSTGRES_BIN !== null) return false;
  if (!skipSaid) {
    skipSaid = true;
    console.log(
      "skipping the PostgreSQL tests: initdb and postgres not found " +
        "(apt-get install postgresql, or set EVREXEC_PG_BIN); .ci/run installs them",
    );
  }
  return true;
}

/** The uid and gid of `name` from /etc/passwd, or null. */
function userIds(name: string): { uid: number; gid: number } | null {
  try {
    for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
      const fields = line.split(":");
      if (fields[0] === name) return { uid: Number(fields[2]), gid: Number(fields[3]) };
    }
  } catch { /* no passwd file */ }
  return null;
}

/** The argv prefix that runs a command as the server user, and that user's ids. */
function asServerUser(): { prefix: string[]; ids: { uid: number; gid: number } | null } {
  if (Deno.uid() !== 0) return { prefix: [], ids: null };
  const ids = userIds(SERVER_USER) ?? { uid: 65534, gid: 65534 };
  return {
    prefix: [
      "setpriv",
      `--reuid=${ids.uid}`,
      `--regid=${ids.gid}`,
      "--clear-groups",
      // The server ends (fast shutdown) if the test process dies without cleaning up.
      "--pdeathsig=SIGINT",
      "--",
    ],
    ids,
  };
}

/** A free TCP port on 127.0.0.1 (free when asked; `start` retries if it is taken). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A running (or stopped) throwaway server. */
export interface TestPostgres {
  /** `postgres://evrexec@127.0.0.1:PORT/postgres`. */
  readonly url: string;
  /** The TCP port, kept across stop and start. */
  readonly port: number;
  /** The temporary directory (data in `data/`, the Unix socket beside it). */
  readonly dir: string;
  /** True while the server runs. */
  readonly running: boolean;
  /** Stops the server (fast shutdown: sessions are cut), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same data and port; resolves when it accepts connections. */
  start(): Promise<void>;
  /** Stops it (if running) and removes the directory. */
  cleanup(): Promise<void>;
  /** The end of the server's log, for failure messages. */
  log(): string;
}

/** Servers of this test file still running. */
const serving = new Set<Deno.ChildProcess>();

// One still running when the test file ends (its test failed before
// `cleanup`) gets SIGQUIT (PostgreSQL's immediate shutdown) then, before its
// directory is removed (this listener is registered first, as the module loads).
addEventListener("unload", () => {
  for (const child of serving) {
    try {
      child.kill("SIGQUIT");
    } catch {
      // gone
    }
  }
});

class Server implements TestPostgres {
  readonly url: string;
  #child: Deno.ChildProcess | null = null;
  #drained: Promise<void> = Promise.resolve();
  #log = "";

  constructor(
    readonly dir: string,
    public port: number,
    private readonly bin: string,
    private readonly prefix: string[],
  ) {
    this.url = `postgres://${PG_USER}@127.0.0.1:${port}/postgres`;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  log(): string {
    return this.#log;
  }

  #keep(text: string): void {
    this.#log = (this.#log + text).slice(-LOG_KEEP);
  }

  async start(): Promise<void> {
    if (this.#child !== null) return;
    const argv = [
      ...this.prefix,
      `${this.bin}/postgres`,
      "-D",
      `${this.dir}/data`,
      ...[
        "listen_addresses=127.0.0.1",
        `port=${this.port}`,
        `unix_socket_directories=${this.dir}`,
        "fsync=off",
        "synchronous_commit=off",
        "full_page_writes=off",
        "shared_buffers=16MB",
        "max_connections=400",
        "logging_collector=off",
      ].flatMap((setting) => ["-c", setting]),
    ];
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { LC_ALL: "C" },
    }).spawn();
    this.#child = child;
    serving.add(child);
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    const ready = (async () => {
      while (true) {
        const { value, done } = await reader.read();
        if (done) return false;
        this.#keep(value);
        seen = (seen + value).slice(-4096);
        if (seen.includes("ready to accept connections")) return true;
      }
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) =>
      timer = setTimeout(() => resolve(false), START_TIMEOUT_MS)
    );
    const ok = await Promise.race([ready, late]);
    clearTimeout(timer);
    // The rest of the log is read to its end, so the pipe never fills.
    this.#drained = (async () => {
      await ready;
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        this.#keep(value);
      }
    })().catch(() => {});
    if (!ok) {
      await this.stop();
      throw new Error(`PostgreSQL did not start on port ${this.port}: ${this.#log.slice(-2000)}`);
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    this.#child = null;
    try {
      child.kill("SIGINT");
    } catch { /* already gone */ }
    await child.status;
    serving.delete(child);
    await this.#drained;
  }

  async cleanup(): Promise<void> {
    await this.stop();
    await removeTestDir(this.dir);
  }
}

/**
 * Makes and starts a throwaway server. Throws when PostgreSQL is missing
 * (check {@link postgresSkip} first) or does not start.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = POSTGRES_BIN;
  if (bin === null) throw new Error("PostgreSQL is not installed");
  const dir = await makeTestDir("evrexec-pg-");
  const { prefix, ids } = asServerUser();
  if (ids !== null) await Deno.chown(dir, ids.uid, ids.gid);
  const init = await new Deno.Command(prefix[0] ?? `${bin}/initdb`, {
    args: [
      ...prefix.slice(1),
      ...(prefix.length > 0 ? [`${bin}/initdb`] : []),
      "-D",
      `${dir}/data`,
      "-U",
      PG_USER,
      "--auth=trust",
      "-E",
      "UTF8",
      "--no-sync",
      "--no-instructions",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { LC_ALL: "C" },
  }).output();
  if (!init.success) {
    await removeTestDir(dir);
    throw new Error(`initdb failed: ${new TextDecoder().decode(init.stderr).trim()}`);
  }
  for (let attempt = 1;; attempt++) {
    const server = new Server(dir, freePort(), bin, prefix);
    try {
      await server.start();
      return server;
    } catch (error) {
      // Another process may have taken the port between the probe and the bind.
      if (attempt === 5 || !server.log().includes("could not bind")) {
        await server.cleanup();
        throw error;
      }
    }
  }
}
