/**
 * `deno task top`: a live view of a running host in the terminal, refreshed
 * every second and sized to the window, as `pm2 monit` or `htop`: `q` quits,
 * the arrow keys (and PgUp, PgDn) scroll. It reads public RPC methods only.
 *
 * @module
 */

import { withTimeout } from "../base/deadline.ts";
import { messageOf } from "../shared/error_text.ts";
import { EXIT_FATAL, EXIT_OK, EXIT_USAGE } from "../base/errors.ts";
import { writeAllSync } from "../base/streams.ts";
import { parseCommandLine } from "../base/command_line.ts";
import { readEnv } from "../base/env.ts";
import { findSocket } from "./find_socket.ts";
import { RpcClient } from "./client.ts";
import {
  readSocketOwner,
  type SocketOwner,
  trustHint,
  UntrustedSocketError,
} from "./socket_trust.ts";
import { TopModel, type TopView } from "./top_model.ts";
import { maxScroll, renderScreen, type ScreenSize } from "./top_screen.ts";

/** The usage text of `deno task top`. */
export const TOP_USAGE = `Usage: deno task top [options]

Shows a running evrexec host live, refreshed every second: its tasks and
workers (state, uptime, restarts, heap, last error), calls per second,
errors and p50/p99 per function (over the last 5 s; marked * when over every
call since the start, as when none ran in the last 5 s), the queue and the
connections.
Keys: q quits; up, down, PgUp and PgDn scroll.

Options:
  -s, --socket PATH   the host's socket (default: $EVREXEC_SOCKET; unset, the
                      first socket of $XDG_RUNTIME_DIR/evrexec.sock,
                      /run/evrexec/evrexec.sock (systemd), /tmp/evrexec.sock)
      --socket-owner USER  trust a socket of USER too (name, uid or any)
      --once          print one screen and exit (no terminal needed)
  -h, --help          this text`;

const REFRESH_MS = 1000;
const CALL_TIMEOUT_MS = 3000;
const encoder = new TextEncoder();

function write(text: string): void {
  writeAllSync(Deno.stdout, encoder.encode(text));
}

function windowSize(): ScreenSize {
  try {
    return Deno.consoleSize();
  } catch {
    return { columns: Number(readEnv("COLUMNS")) || 120, rows: 1000 };
  }
}

/** Reads the host through one connection, made again after it is lost. */
class Reader {
  #client: RpcClient | null = null;
  readonly model: TopModel = new TopModel();

  constructor(readonly socket: string, readonly socketOwner?: SocketOwner) {}

  async read(): Promise<TopView> {
    this.#client ??= await RpcClient.connect(this.socket, { socketOwner: this.socketOwner })
      .catch((error) => {
        if (error instanceof UntrustedSocketError) {
          throw new Error(`${error.message}; ${trustHint(error)}`);
        }
        throw new Error(`cannot reach a host at ${this.socket}: ${messageOf(error)}`);
      });
    const client = this.#client;
    try {
      const call = (method: string, params?: unknown[]) =>
        withTimeout(client.call(method, params), CALL_TIMEOUT_MS, `no answer to ${method}`);
      return await this.model.refresh(call, performance.now());
    } catch (error) {
      client.close();
      this.#client = null;
      throw error;
    }
  }

  close(): void {
    this.#client?.close();
  }
}

/** How far `keys` scroll: up and down (or k, j) one line, PgUp and PgDn `page` lines. */
export function scrollBy(keys: string, page: number): number {
  const count = (...codes: string[]) =>
    codes.reduce((sum, code) => sum + keys.split(code).length - 1, 0);
  return count("\x1b[B", "\x1bOB", "j") - count("\x1b[A", "\x1bOA", "k") +
    page * (count("\x1b[6~") - count("\x1b[5~"));
}

/** Runs the live view until `q`; resolves with the exit code. */
async function live(reader: Reader): Promise<number> {
  let view: TopView | null = null, problem: string | null = null, scroll = 0;
  const draw = () => {
    const size = windowSize();
    scroll = Math.max(0, Math.min(scroll, maxScroll(view, size)));
    const lines = renderScreen(
      view,
      { socket: reader.socket, now: new Date(), scroll, problem },
      size,
    );
    write(`\x1b[H${lines.map((line) => `${line}\x1b[K`).join("\r\n")}\x1b[J`);
  };
  const refresh = async () => {
    try {
      view = await reader.read();
      problem = null;
    } catch (error) {
      problem = `${messageOf(error)} (retrying every second)`;
    }
    draw();
  };
  const resized = () => draw();
  Deno.stdin.setRaw(true);
  write("\x1b[?1049h\x1b[?25l");
  Deno.addSignalListener("SIGWINCH", resized);
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    refresh().finally(() => busy = false);
  }, REFRESH_MS);
  try {
    draw();
    await refresh();
    for await (const chunk of Deno.stdin.readable) {
      const keys = new TextDecoder().decode(chunk);
      if (keys.includes("q") || keys.includes("Q") || keys.includes("\x03")) break;
      scroll += scrollBy(keys, Math.max(1, windowSize().rows - 6));
      draw();
    }
  } finally {
    clearInterval(timer);
    Deno.removeSignalListener("SIGWINCH", resized);
    write("\x1b[?25h\x1b[?1049l");
    Deno.stdin.setRaw(false);
    reader.close();
  }
  return EXIT_OK;
}

/** Runs `deno task top`; resolves with the exit code. */
export async function topMain(args: readonly string[]): Promise<number> {
  let values, socketOwner;
  try {
    values = parseCommandLine({
      args: [...args],
      options: {
        socket: { type: "string", short: "s" },
        "socket-owner": { type: "string" },
        once: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
    socketOwner = readSocketOwner(values["socket-owner"]);
  } catch (error) {
    console.error(`evrexec-top: ${messageOf(error)}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    console.log(TOP_USAGE);
    return EXIT_OK;
  }
  let socket: string;
  try {
    socket = values.socket ?? findSocket().path;
    windowSize(); // COLUMNS, when no terminal tells the size, may not be readable
  } catch (error) {
    console.error(`evrexec-top: ${messageOf(error)}`);
    return EXIT_USAGE;
  }
  const reader = new Reader(socket, socketOwner);
  if (!values.once && Deno.stdin.isTerminal() && Deno.stdout.isTerminal()) return live(reader);
  try {
    const view = await reader.read();
    const size = { columns: windowSize().columns, rows: 10_000 };
    const state = { socket: reader.socket, now: new Date(), scroll: 0, problem: null };
    console.log(renderScreen(view, state, size).join("\n"));
    return EXIT_OK;
  } catch (error) {
    console.error(`evrexec-top: ${messageOf(error)}`);
    return EXIT_FATAL;
  } finally {
    reader.close();
  }
}

if (import.meta.main) Deno.exit(await topMain(Deno.args));
