/**
 * Kamailio for the side-by-side comparison: finds the binary and the three
 * modules it needs (jsonrpcs, evrexec, app_jsdt), writes a minimal
 * kamailio.cfg and a KEMI JavaScript script into a temporary directory,
 * starts it there as the current user (foreground, logging to stderr), and
 * stops it again.
 *
 * @module
 */

import { Child, sleep } from "../common/proc.ts";

/** Where Debian, Ubuntu and source installs put Kamailio's modules. */
const MODULE_DIRS = [
  "/usr/lib/x86_64-linux-gnu/kamailio/modules",
  "/usr/lib/aarch64-linux-gnu/kamailio/modules",
  "/usr/lib64/kamailio/modules",
  "/usr/lib/kamailio/modules",
  "/usr/local/lib64/kamailio/modules",
  "/usr/local/lib/kamailio/modules",
];
const MODULES = ["jsonrpcs.so", "evrexec.so", "app_jsdt.so"];

/** The KEMI script: the request route Kamailio requires, and `echo`, which answers its data. */
const SCRIPT = `function ksr_request_route() {}
function echo(data) { return data; }
`;

/** What a Kamailio run needs, or why it cannot run here. */
export type KamailioSetup =
  | {
    readonly ok: true;
    readonly binary: string;
    readonly modules: string;
    readonly version: string;
  }
  | { readonly ok: false; readonly why: string };

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The kamailio binary on the PATH, or null. */
function onPath(name: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir !== "" && exists(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return exists(`/usr/sbin/${name}`) ? `/usr/sbin/${name}` : null;
}

/**
 * Finds Kamailio and its modules (`KAMAILIO_MODULES` names another module
 * directory); says what is missing otherwise.
 */
export async function findKamailio(): Promise<KamailioSetup> {
  const binary = onPath("kamailio");
  if (binary === null) return { ok: false, why: "kamailio is not installed (not on the PATH)" };
  const dirs = [Deno.env.get("KAMAILIO_MODULES") ?? "", ...MODULE_DIRS].filter((d) => d !== "");
  const modules = dirs.find((dir) => MODULES.every((module) => exists(`${dir}/${module}`)));
  if (modules === undefined) {
    return {
      ok: false,
      why: `no module directory with ${MODULES.join(", ")} (looked in ${dirs.join(", ")}; ` +
        "Debian: apt install kamailio kamailio-extra-modules; or set KAMAILIO_MODULES)",
    };
  }
  const out = await new Deno.Command(binary, { args: ["-v"], stdout: "piped", stderr: "null" })
    .output();
  const version = new TextDecoder().decode(out.stdout).match(/kamailio ([\w.-]+)/)?.[1] ?? "?";
  return { ok: true, binary, modules, version };
}

/** A free UDP port on 127.0.0.1 for the SIP listener Kamailio insists on. */
function freeUdpPort(): number {
  const probe = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  return port;
}

/** The config: one SIP listener on loopback, jsonrpcs on a Unix datagram socket, app_jsdt. */
function config(dir: string, modules: string, port: number): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
dns=no
rev_dns=no
disable_tcp=yes
listen=udp:127.0.0.1:${port}
run_dir="${dir}"
mpath="${modules}/"
loadmodule "jsonrpcs.so"
loadmodule "evrexec.so"
loadmodule "app_jsdt.so"
modparam("jsonrpcs", "transport", 4)
modparam("jsonrpcs", "dgram_socket", "${dir}/rpc.sock")
modparam("jsonrpcs", "dgram_mode", 0600)
modparam("jsonrpcs", "pretty_format", 0)
modparam("app_jsdt", "load", "${dir}/kemi.js")
cfgengine "jsdt"
`;
}

/** A running Kamailio. */
export interface RunningKamailio {
  /** The process (its children serve the datagram socket). */
  readonly child: Child;
  /** jsonrpcs' Unix datagram socket. */
  readonly socket: string;
  /** Stops it (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts Kamailio in a new temporary directory and resolves once its
 * datagram socket answers `core.version`; rejects (Kamailio stopped) when
 * it does not within `timeoutMs`.
 */
export async function startKamailio(
  setup: Extract<KamailioSetup, { ok: true }>,
  timeoutMs: number,
): Promise<RunningKamailio> {
  const dir = await Deno.makeTempDir({ prefix: "evrexec-kamailio-" });
  await Deno.writeTextFile(`${dir}/kemi.js`, SCRIPT);
  await Deno.writeTextFile(`${dir}/kamailio.cfg`, config(dir, setup.modules, freeUdpPort()));
  const child = Child.run("kamailio", setup.binary, [
    "-f",
    `${dir}/kamailio.cfg`,
    "-DD", // stay in the foreground; the bench stops it
    "-E",
    "-m",
    "32",
    "-M",
    "8",
    "-P",
    `${dir}/kamailio.pid`,
  ], { cwd: dir });
  const running: RunningKamailio = {
    child,
    socket: `${dir}/rpc.sock`,
    async stop() {
      try {
        await child.stop();
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  };
  try {
    await answers(running.socket, dir, timeoutMs, child);
  } catch (error) {
    await running.stop();
    throw error;
  }
  return running;
}

/** Resolves once `socket` answers a `core.version` datagram. */
async function answers(socket: string, dir: string, timeoutMs: number, child: Child) {
  const deadline = performance.now() + timeoutMs;
  const probe = Deno.listenDatagram({ transport: "unixpacket", path: `${dir}/probe.sock` });
  const request = new TextEncoder().encode('{"jsonrpc":"2.0","method":"core.version","id":1}');
  let answer: Promise<unknown> | null = null;
  try {
    while (performance.now() < deadline && !child.exited) {
      if (!exists(socket)) {
        await sleep(20);
        continue;
      }
      // Deno refuses a send while a receive waits: one request, then wait for it.
      if (answer === null) {
        await probe.send(request, { transport: "unixpacket", path: socket });
        answer = probe.receive();
      }
      if (await Promise.race([answer, sleep(200).then(() => null)]) !== null) return;
    }
  } finally {
    probe.close();
  }
  throw new Error(`kamailio did not answer on ${socket}; output:\n${child.output.slice(-2000)}`);
}
