/**
 * The `deno run` flags each program of this project needs, in one place, for
 * what writes command lines for users: the installed commands
 * (`deno task install`) and the project `evrexec init` writes (its tasks and
 * its systemd unit). The repository's own `deno.json` tasks spell the same
 * flags out (JSON holds no references).
 *
 * @module
 */

/**
 * Parks Deno's inspector where no connection can reach it, so SIGUSR1 opens
 * no debugger, and keeps its banner off stderr (docs/security.md, "Debugger
 * signals"). Every command that runs the host carries them.
 */
export const PARK_FLAGS: readonly string[] = [
  "--inspect=127.255.255.255:0",
  "--inspect-publish-uid=http",
];

/**
 * What the host needs (docs/deployment.md, "Permissions"): Unix datagrams
 * (`--rpc-dgram`, the systemd notify socket) and sandboxed worker threads
 * need the unstable flags; read, write, net and env as the README says.
 */
export const HOST_FLAGS: readonly string[] = [
  ...PARK_FLAGS,
  "--unstable-net",
  "--unstable-worker-options",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
];

/**
 * Reading the boot clock for systemd's `MONOTONIC_USEC` (see
 * `src/base/monotonic_clock.ts`); nothing else of the system.
 */
export const UPTIME_FLAG = "--allow-sys=osUptime";

/**
 * Running the deno binary at `denoPath`: what `--watch` (`deno info`),
 * `--check` (`deno check`) and `isolation=process` (a child `deno run`)
 * need; and `mkfifo`, which `--rpc-fifo` runs (Deno cannot make a FIFO:
 * `repro/no_mkfifo.ts`). Workers inherit it, so a script may run these too.
 */
export function runDenoFlag(denoPath: string): string {
  return `--allow-run=${denoPath},mkfifo`;
}

/**
 * Running `mkfifo` alone, which `--rpc-fifo` (kamctl's transport) needs: the
 * project `evrexec init` writes passes it in its start task and its systemd
 * unit, so that uncommenting `rpc-fifo` in its config is all it takes.
 */
export const MKFIFO_FLAG = "--allow-run=mkfifo";

/** What the RPC client and `top` need: the socket (read, write, net) and the default path (env). */
export const CLIENT_FLAGS: readonly string[] = [
  "--quiet",
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
];
