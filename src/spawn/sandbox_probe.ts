/**
 * The proof at start-up: before any task starts, probe workers with the
 * strictest sandbox (`worker/probe.ts`) check inside that the limits the
 * host's sandboxes rely on really hold in this Deno: permissions of a thread
 * (a Web Worker's `deno.permissions`), heap caps of a thread (node workers'
 * `resourceLimits`), and a child's flags and V8 heap cap. A limit that does
 * not hold stops start-up with one line naming it. The thread probe also
 * shows whether a thread's end can be seen (its port closes), which the
 * stuck verdict needs.
 *
 * @module
 */

import { type Transferable as NodeTransferable, Worker as NodeWorker } from "node:worker_threads";
import { settlesWithin, withTimeout } from "../base/deadline.ts";
import { messageOf } from "../shared/error_text.ts";
import { ConfigError } from "../base/errors.ts";
import { MIN_HEAP_MIB, PERMISSION_KINDS } from "../config/sandbox.ts";
import { PROBE_FLAG, type ProbeReport, type ProbeRequest } from "../shared/probe_messages.ts";
import type { OwnedSandbox } from "./sandbox_check.ts";
import { workerPermissions } from "./web_thread.ts";
import { requireWorkerOptions } from "./worker_options_flag.ts";

const PROBE_URL = new URL("../worker/probe.ts", import.meta.url);
/** The longest a probe may take. */
const PROBE_TIMEOUT_MS = 20_000;
/** How long a terminated probe's port gets to close. */
const CLOSE_MS = 2000;
/** The kinds a thread's sandbox holds (remote imports are checked against the host's). */
const THREAD_KINDS = PERMISSION_KINDS.filter((kind) => kind !== "import");
/** A heap probe thread that makes no progress for this long has halted at its cap, ms. */
const STALL_MS = 1000;
/** What the heap probes allocate: four times the smallest cap. */
const ALLOCATE_MIB = 4 * MIN_HEAP_MIB;

/** What the probes found. */
export interface Proof {
  /** True when a terminated thread's port closed, so that a stuck thread can be told. */
  readonly threadEndsObservable: boolean;
  /** Settles once thread heap caps are proven; rejects with the {@link ConfigError} if not. */
  readonly heapProven: Promise<void>;
}

const broken = (what: string) =>
  new ConfigError(
    `the sandbox does not hold in this Deno (${Deno.version.deno}): ${what}; refusing to start`,
  );

/** A probe thread's private port: its reports, and whether it closed once the thread ended. */
function probePort() {
  const { port1, port2 } = new MessageChannel();
  const closed = new Promise<void>((resolve) => port1.addEventListener("close", () => resolve()));
  const reports: ProbeReport[] = [];
  const waiters: (() => void)[] = [];
  port1.onmessage = (event: MessageEvent<ProbeReport>) => {
    reports.push(event.data);
    for (const wake of waiters.splice(0)) wake();
  };
  /** Resolves once `n` reports have come. */
  const count = async (n: number) => {
    while (reports.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { port: port2, closed, reports, count, close: () => port1.close() };
}

/** The Web Worker probe: a thread with no permission refuses each kind; its end shows. */
async function threadProbe(permissions: boolean, firstOwner: string): Promise<boolean> {
  if (permissions) await requireWorkerOptions(firstOwner);
  let worker: Worker;
  try {
    worker = new Worker(PROBE_URL, {
      type: "module",
      name: "sandbox probe",
      ...(permissions ? { deno: { permissions: workerPermissions({}) } } : {}),
    });
  } catch (error) {
    throw broken(`a probe thread could not start: ${messageOf(error)}`);
  }
  const probe = probePort();
  const request: ProbeRequest = { kinds: permissions ? THREAD_KINDS : [], allocateMiB: 0 };
  worker.postMessage(request, [probe.port]);
  try {
    await withTimeout(probe.count(1), PROBE_TIMEOUT_MS, "the thread probe did not answer");
  } finally {
    worker.terminate();
  }
  const [report] = probe.reports;
  if (report?.type === "permissions" && report.notRefused.length > 0) {
    throw broken(`a thread given no permission could still use ${report.notRefused.join(", ")}`);
  }
  const observable = await settlesWithin(probe.closed, CLOSE_MS);
  probe.close();
  return observable;
}

/**
 * The node worker probe: a thread capped at the smallest heap does not get
 * to allocate four times as much. Deno ends it with an error, ends it
 * silently (its port closes), or halts it (it makes no progress for
 * {@link STALL_MS}): each shows the cap.
 */
async function heapProbe(): Promise<void> {
  const probe = probePort();
  const worker = new NodeWorker(PROBE_URL, {
    name: "heap probe",
    resourceLimits: { maxOldGenerationSizeMb: MIN_HEAP_MIB },
  });
  const ended = new Promise<void>((resolve) => worker.on("error", () => resolve()));
  const request: ProbeRequest = { kinds: [], allocateMiB: ALLOCATE_MIB };
  worker.postMessage(request, [probe.port as unknown as NodeTransferable]);
  let notCapped = false;
  try {
    const deadline = performance.now() + PROBE_TIMEOUT_MS;
    for (let seen = 1; performance.now() < deadline; seen = probe.reports.length + 1) {
      const step = probe.count(seen).then(() => "report" as const);
      const stop = Promise.race([ended, probe.closed]).then(() => "ended" as const);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stall = new Promise<"stalled">((resolve) =>
        timer = setTimeout(resolve, STALL_MS, "stalled")
      );
      const outcome = await Promise.race([step, stop, stall]);
      clearTimeout(timer);
      if (outcome !== "report") break;
      if (probe.reports.at(-1)?.type === "heap-not-capped") {
        notCapped = true;
        break;
      }
    }
  } finally {
    worker.terminate();
    probe.close();
  }
  if (notCapped) {
    throw broken(
      `a thread capped at ${MIN_HEAP_MIB} MiB (node:worker_threads resourceLimits) ` +
        `allocated ${ALLOCATE_MIB} MiB`,
    );
  }
}

/** The child probe: `deno run` with no permission flag refuses each kind, and its V8 cap holds. */
async function processProbe(heap: boolean): Promise<void> {
  const request: ProbeRequest = { kinds: PERMISSION_KINDS, allocateMiB: heap ? ALLOCATE_MIB : 0 };
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      "--deny-import",
      `--v8-flags=--max-old-space-size=${MIN_HEAP_MIB}`,
      PROBE_URL.href,
      PROBE_FLAG,
      JSON.stringify(request),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
  }).output();
  const reports = new TextDecoder().decode(output.stdout).split("\n").filter((line) => line !== "")
    .map((line) => JSON.parse(line) as ProbeReport);
  const permissions = reports.find((report) => report.type === "permissions");
  if (permissions === undefined) {
    const why = new TextDecoder().decode(output.stderr).trim().split("\n")[0];
    throw broken(`the child probe did not report (${why || `exit code ${output.code}`})`);
  }
  if (permissions.type === "permissions" && permissions.notRefused.length > 0) {
    throw broken(
      `a child given no permission flag could still use ${permissions.notRefused.join(", ")}`,
    );
  }
  if (heap && reports.some((report) => report.type === "heap-not-capped")) {
    throw broken(`a child capped at ${MIN_HEAP_MIB} MiB (--max-old-space-size) allocated more`);
  }
}

/**
 * Runs the probes `sandboxes` need (and always one thread probe, for the
 * stuck verdict). Throws a {@link ConfigError} naming the first limit that
 * does not hold. The heap probe of threads (about 250 ms) is left running:
 * `heapProven` settles with it, for the host to await before tasks start.
 */
export async function proveSandboxes(sandboxes: readonly OwnedSandbox[]): Promise<Proof> {
  const threads = sandboxes.filter(({ sandbox }) => sandbox.isolation !== "process");
  const permitted = threads.find(({ sandbox }) => sandbox.permissions !== null);
  const children = sandboxes.filter(({ sandbox }) => sandbox.isolation === "process");
  const heap = threads.some(({ sandbox }) => sandbox.heapMiB > 0) ? heapProbe() : Promise.resolve();
  heap.catch(() => {}); // awaited through heapProven
  const [threadEndsObservable] = await Promise.all([
    threadProbe(permitted !== undefined, permitted?.owner ?? ""),
    children.length > 0 ? processProbe(children.some(({ sandbox }) => sandbox.heapMiB > 0)) : null,
  ]);
  return { threadEndsObservable, heapProven: heap };
}
