/**
 * A systemd notify client (sd_notify(3)) for a service of `Type=notify`:
 * `READY=1` once the service works, `RELOADING=1` (with `MONOTONIC_USEC`)
 * and `READY=1` around a reload, `STOPPING=1`, `STATUS=` lines, and
 * `WATCHDOG=1` at half of `$WATCHDOG_USEC`. Each notification is one Unix
 * datagram to `$NOTIFY_SOCKET` (a path or an `@abstract` name), sent from a
 * socket bound in the abstract namespace (Linux; no file to clean up).
 *
 * It never throws into its caller: without `$NOTIFY_SOCKET` every call is a
 * no-op that resolves false; a send that fails resolves false and the
 * first failure is reported once (to `report`). Sends go out one at a time,
 * in order (Deno refuses a second send on a socket while one is pending);
 * one that takes over a second is given up with its socket.
 *
 * Needs `--unstable-net` and `--allow-net` (Deno's Unix datagrams),
 * `--allow-env` to read the variables, `--allow-read` and `--allow-write`
 * for the socket's path; `MONOTONIC_USEC` needs
 * `--allow-sys=osUptime` (see `monotonic_clock.ts`), without which
 * `RELOADING=1` goes alone, as `Type=notify` accepts.
 *
 * @module
 */

import { MonotonicClock } from "./monotonic_clock.ts";
import { type NotifyAddress, parseNotifySocket } from "./notify_address.ts";

/** The longest `STATUS=` text sent, in characters; the rest is cut. */
export const MAX_STATUS_CHARS = 1000;
/** How long one send may take before it and its socket are given up. */
const SEND_TIMEOUT_MS = 1000;
/** Notifications waiting to be sent, at most; past that new ones are dropped. */
const MAX_QUEUED = 64;

/** What the notifier reads and where it reports, injected so tests can drive it. */
export interface NotifierOptions {
  /** Reads an environment variable (default: `Deno.env.get`, undefined without permission). */
  readonly env?: (name: string) => string | undefined;
  /** Removes the variables once read, so workers and children do not inherit them (default true). */
  readonly unsetEnvironment?: boolean;
  /** Where the first failure is told, once (default: `console.error`). */
  readonly report?: (message: string) => void;
  /** The clock of `MONOTONIC_USEC` (default: a {@link MonotonicClock} on Deno's sources). */
  readonly clock?: MonotonicClock;
  /** This process's id, to compare with `$WATCHDOG_PID` (default `Deno.pid`). */
  readonly pid?: number;
}

const VARIABLES = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] as const;

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: as if unset
  }
}

function unsetEnv(name: string): void {
  try {
    Deno.env.delete(name);
  } catch {
    // no --allow-env: nothing to hide
  }
}

/** A `STATUS=` value: one line (breaks and other control characters become spaces), cut. */
export function statusText(text: string): string {
  // deno-lint-ignore no-control-regex -- control characters are what is replaced
  const line = text.replace(/[\u0000-\u001f\u007f]/g, " ");
  const chars = [...line];
  return chars.length <= MAX_STATUS_CHARS ? line : chars.slice(0, MAX_STATUS_CHARS).join("");
}

/**
 * The watchdog period systemd expects, in microseconds, from
 * `WATCHDOG_USEC` and `WATCHDOG_PID` as sd_watchdog_enabled(3) reads them:
 * null when unset, not a positive integer, or meant for another process.
 */
export function watchdogUsec(
  usec: string | undefined,
  pid: string | undefined,
  ownPid: number,
): number | null {
  if (usec === undefined || !/^[1-9][0-9]{0,15}$/.test(usec)) return null;
  if (pid !== undefined && pid !== "" && pid !== String(ownPid)) return null;
  return Number(usec);
}

let sockets = 0;

/** Notifications to systemd (see the module's notes). */
export class SdNotifier {
  /** Where notifications go; null: not under `Type=notify` (every call a no-op). */
  readonly address: NotifyAddress | null;
  /** The watchdog period in microseconds, or null when systemd set no watchdog for this process. */
  readonly watchdogUsec: number | null;
  #report: (message: string) => void;
  #clock: MonotonicClock;
  #conn: Deno.DatagramConn | null = null;
  #chain: Promise<unknown> = Promise.resolve();
  #queued = 0;
  #reported = false;
  #closed = false;
  #noClockTold = false;

  /** A notifier configured from the environment (see {@link NotifierOptions}). */
  constructor(options: NotifierOptions = {}) {
    const env = options.env ?? readEnv;
    const [socket, usec, pid] = VARIABLES.map((name) => env(name));
    if (options.unsetEnvironment ?? true) VARIABLES.forEach(unsetEnv);
    this.#report = options.report ?? ((message) => console.error(message));
    this.#clock = options.clock ?? new MonotonicClock();
    this.address = parseNotifySocket(socket);
    this.watchdogUsec = this.address === null
      ? null
      : watchdogUsec(usec, pid, options.pid ?? Deno.pid);
    if (this.address?.kind === "unsupported") this.#fail(this.address.reason);
    else if (this.address !== null) this.#clock.refine().catch(() => {});
  }

  /** True when notifications are sent (`$NOTIFY_SOCKET` names a usable address). */
  get enabled(): boolean {
    return this.address !== null && this.address.kind !== "unsupported" && !this.#closed;
  }

  /** `READY=1`: start-up (or a reload) is complete; with a status line if given. */
  ready(status?: string): Promise<boolean> {
    return this.notify(["READY=1", ...this.#status(status)]);
  }

  /** `RELOADING=1` with `MONOTONIC_USEC`: a reload began; send {@link ready} when it ends. */
  reloading(status?: string): Promise<boolean> {
    const now = this.#clock.nowUs();
    if (now === null && this.enabled && !this.#noClockTold) {
      this.#noClockTold = true;
      this.#report(
        "systemd notify: RELOADING=1 goes without MONOTONIC_USEC: reading the clock needs " +
          "--allow-sys=osUptime (Type=notify does without it, Type=notify-reload does not)",
      );
    }
    const clock = now === null ? [] : [`MONOTONIC_USEC=${now}`];
    return this.notify(["RELOADING=1", ...clock, ...this.#status(status)]);
  }

  /** `STOPPING=1`: a graceful stop began. */
  stopping(status?: string): Promise<boolean> {
    return this.notify(["STOPPING=1", ...this.#status(status)]);
  }

  /** `STATUS=…`: the one line `systemctl status` shows. */
  status(text: string): Promise<boolean> {
    return this.notify(this.#status(text));
  }

  /** `WATCHDOG=1`: the service is alive (send it within every {@link watchdogUsec}). */
  watchdog(): Promise<boolean> {
    return this.notify(["WATCHDOG=1"]);
  }

  /**
   * Sends `WATCHDOG=1` every half period from a timer of the calling
   * thread's event loop, so a thread that stops turning stops the pings and
   * systemd restarts the service; `healthy` (if given) must also say yes
   * (one that throws says no).
   * Returns the function that stops it; a no-op without a watchdog.
   */
  startWatchdog(healthy: () => boolean = () => true): () => void {
    if (this.watchdogUsec === null || !this.enabled) return () => {};
    const periodMs = Math.max(1, Math.floor(this.watchdogUsec / 2000));
    const ping = () => {
      let alive = false;
      try {
        alive = healthy();
      } catch {
        // a check that throws says no
      }
      if (alive) this.watchdog();
    };
    ping();
    const timer = setInterval(ping, periodMs);
    Deno.unrefTimer(timer);
    return () => clearInterval(timer);
  }

  /**
   * Sends one notification of `lines` (`KEY=VALUE` each); resolves true once
   * it is sent, false when it is not (no socket, a failure, a full queue).
   */
  notify(lines: readonly string[]): Promise<boolean> {
    if (!this.enabled || lines.length === 0) return Promise.resolve(false);
    if (this.#queued >= MAX_QUEUED) {
      this.#fail(`more than ${MAX_QUEUED} notifications waiting; dropping new ones`);
      return Promise.resolve(false);
    }
    this.#queued++;
    const message = new TextEncoder().encode(lines.join("\n") + "\n");
    const sent = this.#chain.then(() => this.#send(message));
    this.#chain = sent;
    return sent.finally(() => this.#queued--);
  }

  /** Stops sending and closes the socket; later calls resolve false. */
  close(): void {
    this.#closed = true;
    this.#drop();
  }

  #status(text: string | undefined): string[] {
    return text === undefined || text === "" ? [] : [`STATUS=${statusText(text)}`];
  }

  async #send(message: Uint8Array): Promise<boolean> {
    const address = this.address;
    if (this.#closed || address === null || address.kind === "unsupported") return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const conn = this.#conn ??= Deno.listenDatagram({
        transport: "unixpacket",
        path: `\0evrexec-notify-${Deno.pid}-${sockets++}`,
      });
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the send took over ${SEND_TIMEOUT_MS} ms`)),
          SEND_TIMEOUT_MS,
        );
      });
      await Promise.race([
        conn.send(message, { transport: "unixpacket", path: address.path }),
        late,
      ]);
      return true;
    } catch (error) {
      this.#drop();
      const why = error instanceof TypeError && typeof Deno.listenDatagram !== "function"
        ? "Unix datagrams need deno run --unstable-net"
        : error instanceof Error
        ? error.message
        : String(error);
      this.#fail(`cannot send to ${address.shown}: ${why}`);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  #drop(): void {
    try {
      this.#conn?.close();
    } catch {
      // closed already
    }
    this.#conn = null;
  }

  /** Reports the first failure only: later ones are as likely, and would flood the log. */
  #fail(message: string): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#report(`systemd notify: ${message} (further failures are not reported)`);
  }
}
