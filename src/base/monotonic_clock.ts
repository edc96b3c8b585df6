/**
 * `MONOTONIC_USEC` for systemd's `RELOADING=1`: the time on the system's
 * monotonic clock, in microseconds, as far as Deno lets a process read it.
 *
 * Deno 2.9 has no call for `CLOCK_MONOTONIC`: `performance.now()` counts
 * from the process's start (on that clock, but from an unknown origin),
 * `performance.timeOrigin` is wall time, `/proc/uptime` needs `--allow-all`,
 * `node:inspector` (V8's profiler clock) `--allow-sys=inspector`. What is
 * left is `Deno.osUptime()` (`--allow-sys=osUptime`): the kernel's
 * `sysinfo()` uptime, `CLOCK_BOOTTIME` rounded **up** to whole seconds.
 *
 * So this clock gives an **upper bound** of `CLOCK_MONOTONIC`: the uptime
 * read once, carried forward by `performance.now()` (which runs at the
 * monotonic clock's rate). `CLOCK_BOOTTIME` is `CLOCK_MONOTONIC` plus the
 * time the machine was suspended, so the bound is off by that (none on a
 * server) plus the rounding: up to 1 s at first, a few milliseconds once
 * {@link MonotonicClock.refine} has seen the uptime's second change. An
 * upper bound is what systemd needs: its only use of `MONOTONIC_USEC`
 * (`Type=notify-reload`, systemd 253+) is to check that a `RELOADING=1`
 * was sent after the SIGHUP it sent, that is, the value is not below the
 * monotonic time of the signal.
 *
 * @module
 */

/** What the clock reads, injected so tests can drive it. */
export interface ClockSources {
  /** Seconds since boot, rounded up (`Deno.osUptime()`); null when not permitted. */
  uptimeSeconds(): number | null;
  /** Milliseconds on a monotonic clock of any origin (`performance.now()`). */
  nowMs(): number;
  /** Waits about `ms` milliseconds (the refinement's polls). */
  sleep(ms: number): Promise<void>;
}

/** How often {@link MonotonicClock.refine} reads the uptime while it waits for its second to change. */
const REFINE_STEP_MS = 2;
/** Refinement gives up after this long (the second changes within 1 s). */
const REFINE_LIMIT_MS = 1500;

/** `Deno.osUptime()` when `--allow-sys=osUptime` is held (asked without prompting), else null. */
function denoUptime(): number | null {
  try {
    const state = Deno.permissions.querySync({ name: "sys", kind: "osUptime" }).state;
    return state === "granted" ? Deno.osUptime() : null;
  } catch {
    return null;
  }
}

/** The real sources: `Deno.osUptime()`, `performance.now()` and unref'd timers. */
export const DENO_CLOCK: ClockSources = {
  uptimeSeconds: denoUptime,
  nowMs: () => performance.now(),
  sleep: (ms) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      Deno.unrefTimer(timer);
    }),
};

/** An upper bound of `CLOCK_MONOTONIC` in microseconds (see the module's notes). */
export class MonotonicClock {
  #sources: ClockSources;
  /** The best bound so far minus `nowMs() * 1000`, in microseconds; null until first read. */
  #offsetUs: number | null = null;
  #lastUs = 0n;
  #refined = false;

  /** A clock on `sources` (default: Deno's). */
  constructor(sources: ClockSources = DENO_CLOCK) {
    this.#sources = sources;
  }

  /** True once {@link refine} has narrowed the bound to its polling step. */
  get refined(): boolean {
    return this.#refined;
  }

  /**
   * Reads the uptime once, the monotonic time first: at that instant the
   * monotonic clock was at most the uptime read after it, so
   * `uptime - nowMs` bounds the offset. Returns the uptime, or null.
   */
  #read(): number | null {
    const at = this.#sources.nowMs();
    const uptime = this.#sources.uptimeSeconds();
    if (uptime === null) return null;
    const offset = uptime * 1e6 - at * 1000;
    this.#offsetUs = this.#offsetUs === null ? offset : Math.min(this.#offsetUs, offset);
    return uptime;
  }

  /**
   * Microseconds, at least `CLOCK_MONOTONIC` now and never less than an
   * earlier answer; null when the uptime cannot be read (no
   * `--allow-sys=osUptime`).
   */
  nowUs(): bigint | null {
    if (this.#offsetUs === null && this.#read() === null) return null;
    const now = BigInt(Math.ceil(this.#offsetUs! + this.#sources.nowMs() * 1000));
    if (now > this.#lastUs) this.#lastUs = now;
    return this.#lastUs;
  }

  /**
   * Narrows the bound from 1 s to a few ms: reads the uptime every few
   * milliseconds until its whole second changes (at most 1.5 s). Each read
   * bounds the clock; the last one before the change was taken just before
   * the boot clock reached the second it showed, so it bounds it closest.
   * Resolves false when the uptime cannot be read or never changed.
   */
  async refine(): Promise<boolean> {
    const started = this.#sources.nowMs();
    const first = this.#read();
    if (first === null) return false;
    while (this.#sources.nowMs() - started < REFINE_LIMIT_MS) {
      await this.#sources.sleep(REFINE_STEP_MS);
      const seen = this.#read();
      if (seen === null) return false;
      if (seen !== first) return this.#refined = true;
    }
    return false;
  }
}
