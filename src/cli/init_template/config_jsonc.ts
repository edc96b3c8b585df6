/**
 * The new project's host configuration, `evrexec.jsonc`: commented, read by
 * `deno task start` and by the systemd unit.
 *
 * @module
 */

import { pathToFileURL } from "node:url";
import type { ProjectFacts } from "./facts.ts";

/** `evrexec.jsonc`. */
export function configJsonc(facts: ProjectFacts): string {
  const docs = pathToFileURL(`${facts.checkout}/docs/configuration.md`).href;
  return `// ${facts.name}: the host's configuration (JSON with comments), read by
// \`deno task start\`, \`deno task dev\` and the systemd unit. Every key:
// ${docs}
// Paths are relative to this file; a flag on the command line wins over a key.
// \`systemctl reload\` (SIGHUP) or \`evrexec.reload\` reads it again: tasks
// added start, removed stop, changed restart, the others keep running.
{
  // The KEMI script: its exported functions are what tasks and RPC call.
  "script": "app.ts",

  // The exec tasks: a spec string as --exec takes it, or an object of the
  // same keys. A task's name is its identity: no two alike.
  "tasks": [
    // One worker running heartbeat(), restarted if it fails (and on reload).
    { "name": "heartbeat", "workers": 1, "restart": "on-failure" }
  ],

  // The RPC socket. Left out, it is $EVREXEC_SOCKET, else
  // $XDG_RUNTIME_DIR/evrexec.sock, else /tmp/evrexec.sock; the systemd unit
  // gives /run/evrexec/evrexec.sock on its command line.
  // "socket": "/run/evrexec/evrexec.sock",

  // Warm workers for evrexec.run, and the longest one call may take (ms).
  "rpc-workers": 2,
  "rpc-timeout": 30000,

  // How long KSR.shutdown loops get to end when the host stops (ms). Keep
  // the unit's TimeoutStopSec above it.
  "shutdown-timeout": 5000,

  // Kamailio's tools: kamcmd over BINRPC, kamctl over a FIFO (evrexec, deno
  // task start and the unit may run mkfifo to make it), kamcli over a
  // datagram socket; Prometheus metrics.
  // "rpc-ctl": ["unix:/run/evrexec/kamailio_ctl"],
  // "rpc-fifo": "/run/evrexec/kamailio_rpc.fifo",
  // "rpc-dgram": ["unix:/run/evrexec/kamailio_rpc.sock"],
  // "metrics": "127.0.0.1:9464",
  // A log file instead of stderr (the journal under systemd):
  // "log-file": "/var/log/evrexec/evrexec.log",

  // debug, info, warning or error.
  "log-level": "info"
}
`;
}
