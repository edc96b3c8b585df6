/**
 * Child processes for the bench: spawn one, watch its output for a line and
 * note when it came, read its RSS, and stop it for sure (SIGTERM, then
 * SIGKILL). Every child is tracked so that a failing bench kills them all.
 *
 * @module
 */

/** A line seen in a child's output, and when it was seen. */
export interface SeenLine {
  /** The match of the pattern waited for. */
  readonly match: RegExpMatchArray;
  /** Milliseconds from just before the spawn to the arrival of the chunk holding the line. */
  readonly ms: number;
}

interface Waiter {
  readonly pattern: RegExp;
  resolve(line: SeenLine): void;
}

const live = new Set<Child>();

/** Options for {@link Child.spawn}. */
export interface SpawnOptions {
  /** Working directory of the child. */
  readonly cwd?: string;
  /** Extra environment variables. */
  readonly env?: Record<string, string>;
}

/** A spawned process whose stdout and stderr are read line by line. */
export class Child {
  /** What was run, for messages. */
  readonly label: string;
  /** The OS process. */
  readonly process: Deno.ChildProcess;
  /** `performance.now()` just before the spawn. */
  readonly spawnedAt: number;
  /** Resolves with the exit status. */
  readonly status: Promise<Deno.CommandStatus>;
  #text = "";
  #lines: string[] = [];
  #lineTimes: number[] = [];
  #waiters: Waiter[] = [];
  #exited = false;
  #reading: Promise<void>;

  private constructor(label: string, command: Deno.Command) {
    this.label = label;
    this.spawnedAt = performance.now();
    this.process = command.spawn();
    live.add(this);
    this.status = this.process.status.then((status) => {
      this.#exited = true;
      live.delete(this);
      return status;
    });
    this.#reading = Promise.all([
      this.#read(this.process.stdout),
      this.#read(this.process.stderr),
    ]).then(() => {});
  }

  /** Spawns `Deno.execPath()` with `args`; stdin is closed, output piped. */
  static spawn(label: string, args: readonly string[], options: SpawnOptions = {}): Child {
    return Child.run(label, Deno.execPath(), args, options);
  }

  /** Spawns `program` with `args`; stdin is closed, output piped. */
  static run(
    label: string,
    program: string,
    args: readonly string[],
    options: SpawnOptions = {},
  ): Child {
    return new Child(
      label,
      new Deno.Command(program, {
        args: [...args],
        cwd: options.cwd,
        env: { NO_COLOR: "1", ...options.env },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }),
    );
  }

  /** The process id. */
  get pid(): number {
    return this.process.pid;
  }

  /** True once the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Everything the child wrote so far (stdout and stderr, as lines arrived). */
  get output(): string {
    return this.#text;
  }

  async #read(stream: ReadableStream<Uint8Array>): Promise<void> {
    let partial = "";
    try {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        const now = performance.now() - this.spawnedAt;
        const pieces = (partial + chunk).split("\n");
        partial = pieces.pop() ?? "";
        for (const line of pieces) this.#addLine(line, now);
      }
    } catch {
      // the stream broke: the child is gone
    }
    if (partial !== "") this.#addLine(partial, performance.now() - this.spawnedAt);
  }

  #addLine(line: string, ms: number): void {
    this.#text += line + "\n";
    this.#lines.push(line);
    this.#lineTimes.push(ms);
    this.#waiters = this.#waiters.filter((waiter) => {
      const match = line.match(waiter.pattern);
      if (match) waiter.resolve({ match, ms });
      return !match;
    });
  }

  /**
   * Resolves when a line matching `pattern` has come (at once if one came
   * already). Rejects, with the output so far, when the child exits first or
   * after `timeoutMs`.
   */
  waitLine(pattern: RegExp, timeoutMs: number): Promise<SeenLine> {
    const index = this.#lines.findIndex((line) => pattern.test(line));
    if (index >= 0) {
      const match = this.#lines[index].match(pattern) as RegExpMatchArray;
      return Promise.resolve({ match, ms: this.#lineTimes[index] });
    }
    const { promise, resolve, reject } = Promise.withResolvers<SeenLine>();
    const waiter: Waiter = { pattern, resolve };
    this.#waiters.push(waiter);
    const fail = (why: string) => {
      if (!this.#waiters.includes(waiter)) return;
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
      reject(
        new Error(
          `${this.label}: ${why} before a line matching ${pattern}; output:\n${
            this.#text.slice(-2000)
          }`,
        ),
      );
    };
    const timer = setTimeout(() => fail(`no line after ${timeoutMs} ms`), timeoutMs);
    this.#reading.then(() => fail("exited")).catch(() => {});
    return promise.finally(() => clearTimeout(timer));
  }

  /** Sends `signal` if the child still runs. */
  kill(signal: Deno.Signal): void {
    if (this.#exited) return;
    try {
      this.process.kill(signal);
    } catch {
      // exited meanwhile
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit status once it is gone. */
  async stop(graceMs = 5000): Promise<Deno.CommandStatus> {
    this.kill("SIGTERM");
    const timer = setTimeout(() => this.kill("SIGKILL"), graceMs);
    try {
      const status = await this.status;
      await this.#reading;
      return status;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Kills every child still running (SIGKILL) and waits for them to go. */
export async function killAll(): Promise<void> {
  const children = [...live];
  for (const child of children) child.kill("SIGKILL");
  await Promise.all(children.map((child) => child.status.catch(() => {})));
}

/** The resident set size of process `pid`, in KiB (VmRSS of /proc/PID/status). */
export function rssKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = status.match(/^VmRSS:\s+(\d+)\s+kB/m);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

/**
 * CPU time process `pid` and its direct children have used so far, in
 * seconds (Kamailio serves from processes its main process forked).
 */
export function treeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid);
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === pid) total += cpuSeconds(Number(entry.name));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU time process `pid` has used so far (user + system, all threads), in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `Deno.execPath()` with `args` to its end; SIGKILLs it after
 * `timeoutMs`. Resolves with the wall time from spawn to exit and the output.
 */
export async function timedRun(
  args: readonly string[],
  timeoutMs: number,
  options: SpawnOptions = {},
): Promise<{ ms: number; code: number; output: string }> {
  const child = Child.spawn(args.join(" "), args, options);
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const status = await child.status;
    const ms = performance.now() - child.spawnedAt;
    await child.stop();
    return { ms, code: status.code, output: child.output };
  } finally {
    clearTimeout(timer);
  }
}

/** The children of every process, by parent PID, read from /proc. */
function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...children.get(ppid) ?? [], Number(entry.name)]);
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/**
 * RSS and PSS (KiB) of process `pid` and all its descendants: PSS counts
 * pages shared between them (the deno binary, for one) once in all.
 */
export function treeMemoryKiB(pid: number): { rss: number; pss: number } {
  const children = childrenByParent();
  let rss = 0, pss = 0;
  for (const queue = [pid]; queue.length > 0;) {
    const next = queue.pop()!;
    queue.push(...children.get(next) ?? []);
    try {
      const rollup = Deno.readTextFileSync(`/proc/${next}/smaps_rollup`);
      rss += Number(/^Rss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return { rss, pss };
}
