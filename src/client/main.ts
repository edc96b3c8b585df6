/**
 * `deno task rpc`: calls one method on a running host and prints the
 * answer, as `kamcmd` does for Kamailio.
 *
 * @module
 */

import { withTimeout } from "../base/deadline.ts";
import { messageOf } from "../shared/error_text.ts";
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
import { defaultSocketPath } from "../config/defaults.ts";
import { typedParam } from "./params.ts";
import { terminalWidth } from "./text_table.ts";
import { answerTable } from "./answer_tables.ts";

/** The usage text of the RPC client. */
export const RPC_USAGE = `Usage: deno task rpc [options] METHOD [PARAM...]

Calls METHOD on a running evrexec host and prints the result: core.psx,
evrexec.list and stats.get_statistics as tables sized to the terminal, a
string as it is, anything else as indented JSON. PARAMs are strings; typed
as kamcli types them, i:5 is a number, s:5 a string and j:{"a":1} JSON.
A socket of another user than yours or root's is not called.

Options:
  -s, --socket PATH   the host's socket (default: $EVREXEC_SOCKET, else
                      $XDG_RUNTIME_DIR/evrexec.sock, else /tmp/evrexec.sock)
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
  /** Who must own the socket (`--socket-owner`), if anyone but this user or root. */
  readonly socketOwner: SocketOwner | undefined;
  /** How long to wait for the answer, in ms. */
  readonly timeoutMs: number;
  /** Print the answer as JSON, not as a table. */
  readonly json: boolean;
  /** The method to call. */
  readonly method: string;
  /** Its params, each read as JSON where it is JSON. */
  readonly params: unknown[];
}

/** Parses the client's arguments; null for `--help`. */
export function parseRpcCli(args: readonly string[]): ClientRequest | null {
  const [options, rest] = splitAtMethod(args);
  const { values } = parseCommandLine({ args: options, options: OPTIONS });
  if (values.help) return null;
  if (rest.length === 0) throw new ConfigError("missing METHOD (see --help)");
  return {
    socket: values.socket ?? defaultSocketPath(),
    socketOwner: readSocketOwner(values["socket-owner"]),
    timeoutMs: values.timeout === undefined
      ? 60_000
      : readInteger("--timeout", values.timeout.trim(), 1, 86_400_000),
    json: values.json ?? false,
    method: SHORT_METHODS.has(rest[0]) ? `evrexec.${rest[0]}` : rest[0],
    params: rest.slice(1).map(typedParam),
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
  let client: RpcClient | null = null;
  try {
    client = await connect(request.socket, request.socketOwner);
    const response = await withTimeout(
      client.request(request.method, request.params),
      request.timeoutMs,
      `no answer from ${request.socket} within ${request.timeoutMs} ms`,
    );
    if (request.json) {
      console.log(JSON.stringify(response, null, 2));
    } else if (response.error === undefined) {
      const result = response.result;
      const table = answerTable(request.method, result, terminalWidth());
      console.log(
        table ?? (typeof result === "string" ? result : JSON.stringify(result, null, 2)),
      );
    }
    if (response.error !== undefined) {
      console.error(`error ${response.error.code}: ${response.error.message}`);
      return EXIT_FATAL;
    }
    return EXIT_OK;
  } catch (error) {
    console.error(`evrexec-rpc: ${messageOf(error)}`);
    return EXIT_FATAL;
  } finally {
    client?.close();
  }
}

if (import.meta.main) Deno.exit(await rpcMain(Deno.args));
