/**
 * How the bench starts each program under test: the host (as `deno task
 * host` runs it) and the floor programs, each with its own temporary
 * directory for its socket, removed again by `stop`.
 *
 * @module
 */

import { Child } from "./proc.ts";

/** The repository's root directory. */
export const ROOT = new URL("../../", import.meta.url).pathname;
/** The permissions `deno task host` gives the host (and its unstable flag for thread sandboxes). */
export const HOST_PERMISSIONS = [
  "--unstable-worker-options",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
];
/** The flags `deno task host` gives the host to park its inspector (SIGUSR1 opens no debugger). */
export const PARK_FLAGS = ["--inspect=127.255.255.255:0", "--inspect-publish-uid=http"];
/** The KEMI script the bench runs: `idle` for exec tasks, `echo` for RPC. */
export const FIXTURE = new URL("./fixture.ts", import.meta.url).pathname;
const MOD = new URL("../../mod.ts", import.meta.url).pathname;
const FLOOR_WORKERS = new URL("../floors/workers.ts", import.meta.url).pathname;
const FLOOR_SERVER = new URL("../floors/server.ts", import.meta.url).pathname;

/** The line the host logs when every worker of task `fn` runs. */
export function allRunning(fn: string, workers: number): RegExp {
  const running = workers === 1 ? "1 worker" : `all ${workers} workers`; // as task_log.ts says it
  return new RegExp(`task ${fn}: ${running} running after (\\d+) ms`);
}
/** The line the host logs once its socket is bound. */
export const HOST_READY = /host ready/;
/** The line floors/workers.ts prints when every worker has posted its message. */
export const FLOOR_RUNNING = /^floor: all (\d+) workers running after (\d+) ms/;
/** The line floors/server.ts prints once it listens. */
export const FLOOR_LISTENING = /^floor: listening/;

/** A started program with its temporary directory (removed by `stop`). */
export class Launched {
  /** The process. */
  readonly child: Child;
  /** Its temporary directory, if it has one. */
  readonly dir: string | null;
  /** Its socket path (inside `dir`), if it has one. */
  readonly socket: string;
  /** Its Unix datagram socket (`--rpc-dgram`), if it has one. */
  readonly dgram: string;

  /** Wraps a started child; `stop` removes `dir`. */
  constructor(child: Child, dir: string | null, socket: string, dgram = "") {
    this.child = child;
    this.dir = dir;
    this.socket = socket;
    this.dgram = dgram;
  }

  /** Stops the process (SIGTERM, SIGKILL after a grace) and removes the temporary directory. */
  async stop(): Promise<Deno.CommandStatus> {
    try {
      return await this.child.stop();
    } finally {
      if (this.dir !== null) await Deno.remove(this.dir, { recursive: true }).catch(() => {});
    }
  }
}

/** Options for {@link launchHost}. */
export interface HostLaunch {
  /** Workers of one exec task running `idle`; 0 or unset: no `--exec`. */
  readonly workers?: number;
  /** More host options, e.g. `--log-level warning`. */
  readonly args?: readonly string[];
  /** Deno flags before the module, e.g. `--cpu-prof`. */
  readonly denoFlags?: readonly string[];
  /** Also serve JSON-RPC on a Unix datagram socket (`--rpc-dgram`, with `--unstable-net`). */
  readonly dgram?: boolean;
  /** More keys of the exec task's spec, e.g. `;isolation=process`. */
  readonly spec?: string;
}

/** Starts the host on the bench fixture with a socket in a new temporary directory. */
export async function launchHost(options: HostLaunch = {}): Promise<Launched> {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-bench-" });
  const socket = `${dir}/rpc.sock`;
  const workers = options.workers ?? 0;
  const exec = workers > 0
    ? ["--exec", `name=idle;wait=0;workers=${workers}${options.spec ?? ""}`]
    : [];
  const dgram = options.dgram ? `${dir}/rpc.dgram` : "";
  const args = [
    "run",
    ...PARK_FLAGS,
    ...HOST_PERMISSIONS,
    ...(options.dgram ? ["--unstable-net"] : []),
    ...(options.denoFlags ?? []),
    MOD,
    "--socket",
    socket,
    ...(options.dgram ? ["--rpc-dgram", `unix:${dgram}`] : []),
    ...exec,
    ...(options.args ?? []),
    FIXTURE,
  ];
  return new Launched(
    Child.spawn(`host (${workers} workers)`, args, { cwd: ROOT }),
    dir,
    socket,
    dgram,
  );
}

/** The kinds of floor workers: Web Workers (`loop`: in a 100 ms timer loop), capped node ones, processes. */
export type FloorKind = "web" | "loop" | "node" | "process";

/** Starts floors/workers.ts with `workers` of `kind` (`true`: Web Workers in a timer loop). */
export function launchFloorWorkers(workers: number, kind: FloorKind | boolean = "web"): Launched {
  const flag = kind === true ? "loop" : kind === false ? "web" : kind;
  const args = [
    "run",
    "--allow-read",
    "--allow-run",
    "--allow-env",
    FLOOR_WORKERS,
    String(workers),
    ...(flag === "web" ? [] : [`--${flag}`]),
  ];
  return new Launched(Child.spawn(`floor (${workers} workers)`, args, { cwd: ROOT }), null, "");
}

/** Starts floors/server.ts on a socket in a new temporary directory. */
export async function launchFloorServer(): Promise<Launched> {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-bench-" });
  const socket = `${dir}/floor.sock`;
  const args = ["run", "--allow-read", "--allow-write", "--allow-net", FLOOR_SERVER, socket];
  return new Launched(Child.spawn("floor server", args, { cwd: ROOT }), dir, socket);
}
