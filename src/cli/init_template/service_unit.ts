/**
 * The new project's systemd unit, `evrexec.service`: `Type=notify` with a
 * watchdog, the sandboxing systemd offers that the host can live with, and
 * the host run from the checkout with exactly its flags.
 *
 * What the host needs of the system: to read the deno binary, the checkout,
 * the project and the Deno cache; to write its socket (`RuntimeDirectory=`),
 * the Deno cache (`CacheDirectory=`: npm packages are fetched there at the
 * first start) and, with `log-file`, its log (`LogsDirectory=`). Nothing
 * else is writable (`ProtectSystem=strict`). Not set, and why:
 * `MemoryDenyWriteExecute=` (V8 compiles code at run time),
 * `SystemCallFilter=` and `PrivateNetwork=` (untested with Deno's runtime;
 * the host serves a socket and scripts use the network).
 *
 * @module
 */

import { pathToFileURL } from "node:url";
import { HOST_FLAGS, MKFIFO_FLAG, UPTIME_FLAG } from "../deno_flags.ts";
import type { ProjectFacts } from "./facts.ts";
import { SERVICE_SOCKET } from "../../config/defaults.ts";
import { unitArgument, unitPath } from "./systemd_text.ts";

/** Where the unit puts the RPC socket. */
export const UNIT_SOCKET: string = SERVICE_SOCKET;
/** The Deno cache of the service. */
export const UNIT_DENO_DIR = "/var/cache/evrexec";

/** True when `path` is under a directory `ProtectHome=yes` would hide. */
function underHome(path: string): boolean {
  return /^\/(home|root|run\/user)(\/|$)/.test(path);
}

/** The `deno run` command line of the unit, one argument per element. */
export function unitCommand(facts: ProjectFacts): string[] {
  return [
    facts.denoPath,
    "run",
    "--frozen",
    ...HOST_FLAGS,
    UPTIME_FLAG,
    MKFIFO_FLAG,
    "--config",
    `${facts.dir}/deno.json`,
    `jsr:${facts.packageName}`,
    "--config",
    `${facts.dir}/evrexec.jsonc`,
    "--socket",
    UNIT_SOCKET,
  ];
}

/** `evrexec.service`. */
export function serviceUnit(facts: ProjectFacts): string {
  const home = [facts.dir, facts.checkout, facts.denoPath].some(underHome);
  const user = facts.userToCreate
    ? [
      `# A system user for the service: create it (useradd --system --no-create-home ${facts.user})`,
      "# and let it read this project and the checkout, or name another user.",
    ]
    : [`# The user who ran evrexec init: it can read this project and the checkout.`];
  const exec = unitCommand(facts).map(unitArgument);
  const lines = [
    `# ${facts.name}: evrexec for Deno as a systemd service, written by evrexec init.`,
    "#",
    "# Before the first start, in this directory: deno install (writes deno.lock,",
    "# which the service runs --frozen). Then, as root:",
    "#   cp evrexec.service /etc/systemd/system/",
    "#   systemctl daemon-reload && systemctl enable --now evrexec",
    `# Call it as root or its user: evrexec-rpc core.psx (finds ${UNIT_SOCKET} by itself)`,
    "# systemctl reload evrexec rereads evrexec.jsonc and app.ts (SIGHUP).",
    "",
    "[Unit]",
    `Description=evrexec for Deno: ${facts.name}`,
    `Documentation=${pathToFileURL(`${facts.checkout}/docs/deployment.md`).href}`,
    "After=network.target",
    "",
    "[Service]",
    "# The host says READY=1 once every task runs and its socket answers,",
    "# RELOADING=1 and READY=1 around a reload, STOPPING=1, and pings the",
    "# watchdog from its main loop: a wedged host is killed and restarted.",
    "Type=notify",
    "NotifyAccess=main",
    "WatchdogSec=30",
    ...user,
    `User=${facts.user}`,
    `WorkingDirectory=${unitPath(facts.dir)}`,
    `Environment=DENO_DIR=${UNIT_DENO_DIR}`,
    "Environment=NO_COLOR=1",
    `ExecStart=${exec.slice(0, 3).join(" ")} \\`,
    ...chunk(exec.slice(3)).map((part, i, all) =>
      `  ${part.join(" ")}${i < all.length - 1 ? " \\" : ""}`
    ),
    "ExecReload=/bin/kill -HUP $MAINPID",
    "# The first start fetches the host's npm packages into the cache.",
    "TimeoutStartSec=120",
    "# Above the config's shutdown-timeout.",
    "TimeoutStopSec=10",
    "Restart=on-failure",
    "RestartSec=2",
    "# Exit 2 is a mistake in the configuration: restarting cannot mend it.",
    "RestartPreventExitStatus=2",
    "",
    "# The socket, the Deno cache and the log directory are the only places it",
    "# may write; add ReadWritePaths= for what your script writes.",
    "RuntimeDirectory=evrexec",
    "RuntimeDirectoryMode=0750",
    "CacheDirectory=evrexec",
    "LogsDirectory=evrexec",
    "UMask=0027",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    home
      ? "# The project, the checkout or deno live under /home or /root: readable, not writable.\nProtectHome=read-only"
      : "ProtectHome=yes",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "PrivateMounts=yes",
    "ProtectProc=invisible",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "RestrictNamespaces=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "RemoveIPC=yes",
    "CapabilityBoundingSet=",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    "SystemCallArchitectures=native",
    "# Not MemoryDenyWriteExecute=: V8 compiles JavaScript at run time.",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
  ];
  return lines.join("\n") + "\n";
}

/** `args` in lines of a few each, for a readable ExecStart. */
function chunk(args: readonly string[]): string[][] {
  const lines: string[][] = [];
  let line: string[] = [];
  for (const arg of args) {
    if (line.length > 0 && [...line, arg].join(" ").length > 72) {
      lines.push(line);
      line = [];
    }
    line.push(arg);
  }
  if (line.length > 0) lines.push(line);
  return lines;
}
