/**
 * `deno task rpc`: calls one method on a running host and prints the
 * answer, as `kamcmd` does for Kamailio.
 *
 * @module
 */

import { withTimeout } from "../base/deadline.ts";
import { messageOf } from "../shared/error_text.ts";
import { escapeControls, escapeJsonControls } from "../shared/control_chars.ts";
import { ConfigError, EXIT_FATAL, EXIT_OK, EXIT_USAGE } from "../base/errors.ts";
import { parseCommandLine } from "../base/command_line.ts";
import { readInteger } from "../base/values.ts";
import { RpcClient } from "./client.ts";
import {
  readSocketOwner,
  type SocketOwner,
  trustHint,
  UntrustedSocketError,
} from "./socket_trust.ts";
import { readParams } from "./param_sources.ts";
import { MAX_LINE_BYTES } from "../rpc/connection.ts";
import { findSocket, noSocketLine } from "./find_socket.ts";
import { terminalWidth } from "./text_table.ts";
import { answerTable } from "./answer_tables.ts";

/** The usage text of the RPC client. */
export const RPC_USAGE = `Usage: deno task rpc [options] METHOD [PARAM...]

Calls METHOD on a running evrexec host and prints the result: core.psx,
evrexec.list and stats.get_statistics as tables sized to the terminal, a
string as it is, anything else as indented JSON. PARAMs are strings; typed
as kamcli types them, i:5 is a number, s:5 a string and j:{"a":1} JSON.
@PATH sends the text of a file, - the text of standard input (once), and
j:@PATH or j:- the JSON they hold; each at most 1 MiB (1048576 bytes, the
host's line limit, which the whole request must fit in too). s: sends the
rest as it is: s:@x sends "@x", s:- a dash.
A socket of another user than yours or root's is not called.

Options:
  -s, --socket PATH   the host's socket (default: $EVREXEC_SOCKET; unset, the
                      first socket of $XDG_RUNTIME_DIR/evrexec.sock,
                      /run/evrexec/evrexec.sock (systemd), /tmp/evrexec.sock;
                      reading the variables needs Deno's --allow-env)
  -t, --timeout MS    how long to wait for the answer (default 60000)
      --socket-owner USER  trust a socket of USER too (name, uid or any)
      --json          print the whole JSON-RPC response object (no table)
  -h, --help          this text

Examples:
  deno task rpc system.listMethods
  deno task rpc evrexec.run hello operator
  deno task rpc core.psx
  deno task rpc stats.get_statistics evrexec:
  deno task rpc evrexec.run compute 'j:{"n":5}'
  deno task rpc evrexec.run import @batch.csv
  some-command | deno task rpc evrexec.run import -

Exit codes: 0 on a result, 1 on an RPC error, when no host answers or
the socket is not trusted, 2 for a usage error.`;

const OPTIONS = {
  socket: { type: "string", short: "s" },
  timeout: { type: "string", short: "t" },
  "socket-owner": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Splits the arguments before METHOD (options) from METHOD and its params. */
function splitAtMethod(args: readonly string[]): [string[], string[]] {
  const takesValue = new Set(["-s", "--socket", "-t", "--timeout", "--socket-owner"]);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") return [args.slice(0, i), args.slice(i + 1)];
    if (!args[i].startsWith("-")) return [args.slice(0, i), args.slice(i)];
    if (takesValue.has(args[i])) i++;
  }
  return [[...args], []];
}

/** Methods the client also takes by their short name: `deno task rpc submit fn data`. */
const SHORT_METHODS = new Set(["submit", "result", "cluster"]);

/** What the client was asked to do. */
export interface ClientRequest {
  /** The host's socket. */
  readonly socket: string;
  /** Where the client looked for a socket and found none (no `--socket` given); else undefined. */
  readonly searched?: readonly string[];
  /** Who must own the socket (`--socket-owner`), if anyone but this user or root. */
  readonly socketOwner: SocketOwner | undefined;
  /** How long to wait for the answer, in ms. */
  readonly timeoutMs: number;
  /** Print the answer as JSON, not as a table. */
  readonly json: boolean;
  /** The method to call. */
  readonly method: string;
  /** Its params as given: typed (`i:`, `s:`, `j:`), or read from a file or stdin (`@PATH`, `-`). */
  readonly params: readonly string[];
}

/** Parses the client's arguments; null for `--help`. */
export function parseRpcCli(args: readonly string[]): ClientRequest | null {
  const [options, rest] = splitAtMethod(args);
  const { values } = parseCommandLine({ args: options, options: OPTIONS });
  if (values.help) return null;
  if (rest.length === 0) throw new ConfigError("missing METHOD (see --help)");
  const found = values.socket === undefined ? findSocket() : null;
  return {
    socket: values.socket ?? found!.path,
    ...(found !== null && !found.found ? { searched: found.tried } : {}),
    socketOwner: readSocketOwner(values["socket-owner"]),
    timeoutMs: values.timeout === undefined
      ? 60_000
      : readInteger("--timeout", values.timeout.trim(), 1, 86_400_000),
    json: values.json ?? false,
    method: SHORT_METHODS.has(rest[0]) ? `evrexec.${rest[0]}` : rest[0],
    params: rest.slice(1),
  };
}

async function connect(socket: string, socketOwner?: SocketOwner): Promise<RpcClient> {
  try {
    return await RpcClient.connect(socket, { socketOwner });
  } catch (error) {
    if (error instanceof UntrustedSocketError) {
      throw new Error(`${error.message}; ${trustHint(error)}`);
    }
    const why = error instanceof Deno.errors.NotFound
      ? "no such socket"
      : error instanceof Deno.errors.ConnectionRefused
      ? "nobody is listening"
      : messageOf(error);
    throw new Error(`cannot reach a host at ${socket}: ${why}`);
  }
}

/** Refuses a request whose line would be over the host's limit (it would answer -32600). */
function checkRequestSize(method: string, params: unknown[]): void {
  const line = JSON.stringify({ jsonrpc: "2.0", method, params, id: 1 });
  // A UTF-16 unit is at most 3 bytes of UTF-8: measure exactly only when it may matter.
  if (line.length * 3 <= MAX_LINE_BYTES) return;
  const bytes = new TextEncoder().encode(line).length;
  if (bytes > MAX_LINE_BYTES) {
    throw new ConfigError(
      `the request is ${bytes} bytes as JSON, over the host's line limit of ${MAX_LINE_BYTES} ` +
        "bytes (1 MiB)",
    );
  }
}

/** Runs the RPC client; resolves with the exit code. */
export async function rpcMain(args: readonly string[]): Promise<number> {
  let request: ClientRequest | null;
  try {
    request = parseRpcCli(args);
  } catch (error) {
    console.error(`evrexec-rpc: ${messageOf(error)}`);
    return EXIT_USAGE;
  }
  if (request === null) {
    console.log(RPC_USAGE);
    return EXIT_OK;
  }
  let width = Infinity;
  let params: unknown[];
  try {
    if (!request.json) width = terminalWidth(); // before the call: COLUMNS may not be readable
    params = await readParams(request.params);
    checkRequestSize(request.method, params);
  } catch (error) {
    console.error(`evrexec-rpc: ${messageOf(error)}`);
    return EXIT_USAGE;
  }
  if (request.searched !== undefined) {
    console.error(`evrexec-rpc: ${noSocketLine(request.searched)}`);
    return EXIT_FATAL;
  }
  let client: RpcClient | null = null;
  try {
    client = await connect(request.socket, request.socketOwner);
    const response = await withTimeout(
      client.request(request.method, params),
      request.timeoutMs,
      `no answer from ${request.socket} within ${request.timeoutMs} ms`,
    );
    if (request.json) {
      console.log(escapeJsonControls(JSON.stringify(response, null, 2)));
    } else if (response.error === undefined) {
      const result = response.result;
      const table = answerTable(request.method, result, width);
      console.log(
        table ??
          (typeof result === "string"
            ? escapeControls(result, { keepLines: true })
            : escapeJsonControls(JSON.stringify(result, null, 2))),
      );
    }
    if (response.error !== undefined) {
      console.error(
        `error ${response.error.code}: ${escapeControls(String(response.error.message))}`,
      );
      return EXIT_FATAL;
    }
    return EXIT_OK;
  } catch (error) {
    console.error(`evrexec-rpc: ${escapeControls(messageOf(error))}`);
    return EXIT_FATAL;
  } finally {
    client?.close();
  }
}

if (import.meta.main) Deno.exit(await rpcMain(Deno.args));
