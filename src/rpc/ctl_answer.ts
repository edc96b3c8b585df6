/**
 * One BINRPC request answered by the host's methods, for the ctl transport
 * (`--rpc-ctl`): the call goes to the same {@link MethodCaller} as JSON-RPC,
 * and its result or error becomes one reply or fault frame that kamcmd
 * prints as it prints Kamailio's.
 *
 * @module
 */

import { JsonText, type MethodCaller } from "./jsonrpc.ts";
import { RpcCode, RpcError } from "./errors.ts";
import { messageOf } from "../shared/error_text.ts";
import {
  type BinrpcRequest,
  encodeFault,
  encodeReply,
  unknownMethodFault,
} from "./kamailio/binrpc.ts";

/** Kamailio's fault code for a bad request (bad params). */
const BAD_REQUEST = 400;
/** Kamailio's fault code for a failure while serving. */
const SERVER_ERROR = 500;

/** Methods whose params are a function's name and data: strings, whatever kamcmd made of them. */
const STRING_PARAMS = new Set(["evrexec.run", "evroute.run"]);

/**
 * The params as the host's methods read them. kamcmd sends an argument that
 * looks like a number as an int or a double (`kamcmd evrexec.run f 5`);
 * `evrexec.run` takes its name and data as text, so there they are turned
 * back into strings. Byte records become text as well.
 */
function paramsOf(request: BinrpcRequest): unknown[] {
  const asText = STRING_PARAMS.has(request.method);
  return request.params.map((param) => {
    if (param instanceof Uint8Array) return new TextDecoder().decode(param);
    if (asText && typeof param === "number") return String(param);
    return param;
  });
}

/** A method's error as a fault: unknown method as Kamailio words it, bad params 400, else 500. */
function faultOf(request: BinrpcRequest, error: unknown): Uint8Array {
  const { cookie, method } = request;
  if (!(error instanceof RpcError)) {
    return encodeFault(cookie, SERVER_ERROR, `internal error: ${messageOf(error)}`);
  }
  if (error.code === RpcCode.METHOD_NOT_FOUND) return unknownMethodFault(cookie, method);
  const code = error.code === RpcCode.INVALID_PARAMS ? BAD_REQUEST : SERVER_ERROR;
  return encodeFault(cookie, code, error.message);
}

/** The result as a value (a function's return value comes as JSON text). */
function resultValue(result: unknown): unknown {
  return result instanceof JsonText ? JSON.parse(result.text) : result;
}

/**
 * Calls `request`'s method through `call` and answers with one frame: the
 * reply, or a fault (never throws). `signal` aborts when the client has gone.
 */
export async function answerBinrpc(
  request: BinrpcRequest,
  call: MethodCaller,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  let result: unknown;
  try {
    result = resultValue(await call(request.method, paramsOf(request), signal));
  } catch (error) {
    return faultOf(request, error);
  }
  const reply = encodeReply(request.cookie, result);
  return reply.ok ? reply.frame : encodeFault(request.cookie, SERVER_ERROR, reply.error.message);
}
