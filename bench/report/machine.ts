/**
 * What machine the figures come from: CPUs, memory, OS and Deno versions.
 *
 * @module
 */

/** The machine and runtime the bench ran on. */
export interface Machine {
  /** Logical CPUs (nproc). */
  readonly nproc: number;
  /** The CPU model, from /proc/cpuinfo. */
  readonly cpu: string;
  /** Total memory, MiB. */
  readonly memoryMiB: number;
  /** The kernel release. */
  readonly os: string;
  /** Deno's version. */
  readonly deno: string;
  /** V8's version. */
  readonly v8: string;
  /** When the bench started, ISO 8601. */
  readonly date: string;
  /** The measured source: git commit, with "+dirty" for local changes, or "unknown". */
  readonly source: string;
  /** Load average (1, 5, 15 min) when the bench started: other work on the machine skews figures. */
  readonly loadAtStart: string;
}

/** The load average over 1, 5 and 15 minutes, as /proc/loadavg gives it ("?" elsewhere). */
export function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "?";
  }
}

function gitSource(): string {
  const root = new URL("../../", import.meta.url).pathname;
  const git = (...args: string[]) => {
    const out = new Deno.Command("git", { args, cwd: root, stdout: "piped", stderr: "null" })
      .outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  };
  try {
    const commit = git("rev-parse", "--short", "HEAD");
    if (commit === null) return "unknown";
    const changes = git("status", "--porcelain", "--", "src", "kemi", "mod.ts", "deno.json");
    return changes ? `${commit}+dirty` : commit;
  } catch {
    return "unknown";
  }
}

/** Describes this machine. */
export function describeMachine(): Machine {
  let cpu = "unknown";
  try {
    cpu = Deno.readTextFileSync("/proc/cpuinfo").match(/^model name\s*:\s*(.+)$/m)?.[1] ?? cpu;
  } catch {
    // not Linux
  }
  return {
    nproc: navigator.hardwareConcurrency,
    cpu,
    memoryMiB: Math.round(Deno.systemMemoryInfo().total / 1024 / 1024),
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    date: new Date().toISOString(),
    source: gitSource(),
    loadAtStart: loadAverage(),
  };
}
