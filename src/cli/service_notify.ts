/**
 * What the host tells systemd when it runs as a `Type=notify` service (see
 * `base/sd_notify.ts` for the protocol): a `STATUS=` line while it starts;
 * `READY=1` once every exec worker has loaded the script (it waits its
 * `wait` or runs its function) and the RPC socket answers a call;
 * `RELOADING=1` with `MONOTONIC_USEC`, then `READY=1`, around every reload,
 * a failed one too; `STOPPING=1` at a graceful stop and before a fatal
 * exit; `WATCHDOG=1` at half of `WATCHDOG_USEC` from the main thread's
 * event loop. Without `$NOTIFY_SOCKET` it does nothing.
 *
 * @module
 */

import type { Host } from "../host/host.ts";
import { log } from "../base/log.ts";
import { counted } from "../base/plural.ts";
import { SdNotifier } from "../base/sd_notify.ts";
import { messageOf } from "../shared/error_text.ts";
import { socketAnswers } from "./socket_answers.ts";

/** How often readiness is looked at while start-up goes on. */
const POLL_MS = 50;
/** How long one readiness call to the socket may take. */
const CALL_TIMEOUT_MS = 2000;
/** How long a fatal exit waits for its `STOPPING=1` to go out. */
const FATAL_SEND_MS = 500;

/** The host's notifications to systemd. */
export class ServiceNotify {
  #notifier: SdNotifier;
  #stopWatchdog: () => void;
  #host: Host | null = null;
  #ready = false;

  /**
   * Reads `$NOTIFY_SOCKET` and `$WATCHDOG_USEC` (and hides them from workers
   * and children), says the host starts, and starts the watchdog's pings:
   * make it before the host starts any worker.
   */
  constructor(notifier: SdNotifier = new SdNotifier({ report: (m) => log().warn(m) })) {
    this.#notifier = notifier;
    this.#notifier.status("starting");
    this.#stopWatchdog = this.#notifier.startWatchdog();
    const address = this.#notifier.address;
    if (this.#notifier.enabled && address !== null && address.kind !== "unsupported") {
      log().debug("systemd notify socket {socket}; watchdog {watchdog}", {
        socket: address.shown,
        watchdog: this.#notifier.watchdogUsec === null
          ? "off"
          : `every ${Math.floor(this.#notifier.watchdogUsec / 2000)} ms`,
      });
    }
  }

  /** True when systemd listens (`$NOTIFY_SOCKET` was usable). */
  get enabled(): boolean {
    return this.#notifier.enabled;
  }

  /**
   * Sends `READY=1` once every exec worker of `host` has left its start
   * and the socket answers; resolves when it is sent, or not sent because
   * the host stops first. Never rejects.
   */
  async ready(host: Host): Promise<void> {
    this.#host = host;
    if (!this.enabled) return;
    while (!host.stopping) {
      const starting = host.supervisors.flatMap((s) => s.slots)
        .filter((slot) => slot.state === "starting").length;
      if (starting === 0 && await socketAnswers(host.config.socket, CALL_TIMEOUT_MS)) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    if (host.stopping) return;
    this.#ready = true;
    await this.#notifier.ready(`ready: ${this.#summary(host)}`);
  }

  /** A reload begins (`done` false) or ends (`done` true, `error` when it failed): the host's `onReload`. */
  reload(done: boolean, error?: unknown): void {
    if (!this.#ready || this.#host === null) return;
    const host = this.#host;
    if (!done) {
      this.#notifier.reloading(`reloading (version ${host.version})`);
    } else if (error === undefined) {
      this.#notifier.ready(`reloaded (version ${host.version}): ${this.#summary(host)}`);
    } else {
      this.#notifier.ready(
        `reload failed, version ${host.version} kept: ${messageOf(error)}`,
      );
    }
  }

  /** `STOPPING=1`: a graceful stop began. */
  stopping(): void {
    this.#notifier.stopping("stopping");
  }

  /** `STOPPING=1` with the fatal reason; resolves once sent (or after half a second). */
  async fatal(message: string): Promise<void> {
    this.#stopWatchdog();
    const sent = this.#notifier.stopping(`fatal: ${message}`);
    await Promise.race([sent, new Promise((resolve) => setTimeout(resolve, FATAL_SEND_MS))]);
  }

  /** Stops the pings and closes the socket. */
  close(): void {
    this.#stopWatchdog();
    this.#notifier.close();
  }

  #summary(host: Host): string {
    const slots = host.supervisors.flatMap((s) => s.slots);
    const running = slots.filter((slot) => slot.state === "running").length;
    return `${counted(host.supervisors.length, "exec task")}, ${running} of ` +
      `${counted(slots.length, "worker")} running, RPC on ${host.config.socket}`;
  }
}
