/**
 * A stand-in for systemd's notify socket in tests: a child process binds it
 * (tests/fixtures/sd_notify/listener.ts) and the test reads what arrives as
 * it arrives.
 *
 * @module
 */

import { fixture, sleep } from "./host.ts";

const LISTENER = fixture("sd_notify/listener.ts");

/** A notify socket bound by a child; `received` grows as datagrams arrive. */
export class NotifySocket {
  readonly received: { at: number; text: string }[];
  #child: Deno.ChildProcess;
  #done: Promise<void>;

  private constructor(
    child: Deno.ChildProcess,
    done: Promise<void>,
    received: { at: number; text: string }[],
  ) {
    this.#child = child;
    this.#done = done;
    this.received = received;
  }

  static async bind(path: string): Promise<NotifySocket> {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--unstable-net", "--allow-all", LISTENER, path],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const ready = Promise.withResolvers<void>();
    const received: { at: number; text: string }[] = [];
    const done = (async () => {
      let buffer = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        const lines = buffer.split("\n");
        buffer = lines.pop()!;
        for (const line of lines) {
          if (line === "ready") ready.resolve();
          else received.push({ at: Date.now(), text: JSON.parse(line).text });
        }
      }
      ready.reject(new Error("the listener ended before it was ready"));
    })();
    await ready.promise;
    return new NotifySocket(child, done, received);
  }

  /** What arrived but the watchdog's pings. */
  get notes(): string[] {
    return this.received.map((d) => d.text).filter((text) => text !== "WATCHDOG=1\n");
  }

  /** Waits until a note matches `pattern`; returns it. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.notes.find((text) => pattern.test(text));
      if (found !== undefined) return found;
      await sleep(10);
    }
    throw new Error(`no notification matched ${pattern}; got ${JSON.stringify(this.notes)}`);
  }

  async close(): Promise<void> {
    await this.#child.stdin.close().catch(() => {});
    await this.#done;
    await this.#child.status;
  }
}
