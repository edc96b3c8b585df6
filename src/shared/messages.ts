/**
 * Every message between the host and its workers, as one typed union per
 * direction. The host side is `spawn/handle.ts`; the worker side is
 * `worker/main.ts`.
 *
 * @module
 */

/** What a worker is for: an exec task's worker or a warm RPC pool worker. */
export type WorkerRole = "exec" | "rpc";

/** Log levels a worker may send; KSR's levels map onto these. */
export type WorkerLogLevel = "debug" | "info" | "warning" | "error" | "fatal";

/** An error as it crosses the worker boundary. */
export interface ErrorInfo {
  /** The error's name (`Error`, `TypeError`, …) or the thrown value's type. */
  readonly name: string;
  /** The error's message, or the thrown value as text. */
  readonly message: string;
  /** The stack trace, when the thrown value had one. */
  readonly stack?: string;
}

/** First message to every worker: what to load and what to do. */
export interface InitMessage {
  /** Always `init`. */
  readonly type: "init";
  /** True when the host runs with OpenTelemetry on (`OTEL_DENO=true`): runs make spans. */
  readonly otel?: boolean;
  /** What the worker is for. */
  readonly role: WorkerRole;
  /** URL of the KEMI script. */
  readonly scriptUrl: string;
  /** Task name (exec) or "rpc". */
  readonly task: string;
  /** Worker index within its task or pool. */
  readonly index: number;
  /** Records below this level are dropped inside the worker. */
  readonly logLevel: WorkerLogLevel;
  /** Exec role: the function to call. */
  readonly fn?: string;
  /** Exec role: microseconds to wait before the call. */
  readonly waitUs?: number;
  /** RPC role: the buffer of the fast hop (see `shared/channel_layout.ts`). */
  readonly shared?: SharedArrayBuffer;
  /** Exec role, UDP task: the address to bind; each datagram is one call. */
  readonly sockaddr?: { readonly host: string; readonly port: number; readonly text: string };
  /** Exec role, timer task: call the function at each {@link TickMessage}, not once. */
  readonly scheduled?: boolean;
  /** A thread worker with a heap cap: the buffer of its heartbeat (see `shared/heartbeat.ts`). */
  readonly heartbeat?: SharedArrayBuffer;
  /**
   * The thread of an `isolation=shared` group: load the script, then run the
   * invocations it is sent ({@link InvokeMessage}); the buffer of its beat
   * (see `shared/shared_beat.ts`).
   */
  readonly carrier?: SharedArrayBuffer;
}

/** To a group's thread: start invocation `inv` as the worker `init` describes. */
export interface InvokeMessage {
  /** Always `invoke`. */
  readonly type: "invoke";
  /** The invocation's number, unique in its group's thread. */
  readonly inv: number;
  /** What an exec worker of its own would be told. */
  readonly init: InitMessage;
}

/** To a group's thread: `message` is for invocation `inv`. */
export interface ToInvocationMessage {
  /** Always `to-inv`. */
  readonly type: "to-inv";
  /** The invocation it is for. */
  readonly inv: number;
  /** What a worker of its own would be sent. */
  readonly message: RunMessage | StopMessage | StatsRequest | TickMessage;
}

/** To a group's thread: invocation `inv` is dropped; nothing of it runs any more. */
export interface DropMessage {
  /** Always `drop`. */
  readonly type: "drop";
  /** The invocation dropped. */
  readonly inv: number;
}

/** RPC role: run `fn(data)` once and answer with a result message. */
export interface RunMessage {
  /** Always `run`. */
  readonly type: "run";
  /** The call's id, echoed in its answer. */
  readonly id: number;
  /** The exported function to run. */
  readonly fn: string;
  /** Its argument (and `$evr(data)`). */
  readonly data: string;
  /** The `traceparent` of the host's span of the call, with OpenTelemetry on. */
  readonly traceparent?: string;
}

/** The host is stopping: abort `KSR.shutdown`. */
export interface StopMessage {
  /** Always `stop`. */
  readonly type: "stop";
}

/** Asks the worker how much heap it uses (for the memory watchdog). */
export interface StatsRequest {
  /** Always `stats`. */
  readonly type: "stats";
}

/** Timer task: call the function now (answered by tick-started, then tick-ended). */
export interface TickMessage {
  /** Always `tick`. */
  readonly type: "tick";
  /** The tick's id, echoed in its answers. */
  readonly id: number;
  /** When it was due, in ms since the epoch. */
  readonly due?: number;
  /** True for a tick triggered over RPC (`evrexec.trigger`), not by the schedule. */
  readonly triggered?: boolean;
}

/** Messages from the host to a worker. */
export type HostToWorker =
  | InitMessage
  | RunMessage
  | StopMessage
  | StatsRequest
  | TickMessage
  | InvokeMessage
  | ToInvocationMessage
  | DropMessage;

/** The script is imported; `functions` are its exported function names. */
export interface LoadedMessage {
  /** Always `loaded`. */
  readonly type: "loaded";
  /** The script's exported function names. */
  readonly functions: readonly string[];
}

/** The script could not be imported. */
export interface LoadFailedMessage {
  /** Always `load-failed`. */
  readonly type: "load-failed";
  /** Why the import failed. */
  readonly error: ErrorInfo;
}

/** UDP task: the socket is bound at `port` (the real one when 0 was asked). */
export interface BoundMessage {
  /** Always `bound`. */
  readonly type: "bound";
  /** The port bound. */
  readonly port: number;
}

/** UDP task: the socket could not be bound. */
export interface BindFailedMessage {
  /** Always `bind-failed`. */
  readonly type: "bind-failed";
  /** Why the bind failed. */
  readonly error: ErrorInfo;
}

/** Exec role: the wait is over and the function has been called. */
export interface EnteredMessage {
  /** Always `entered`. */
  readonly type: "entered";
}

/** Exec role: the function returned, threw or rejected. */
export interface EndedMessage {
  /** Always `ended`. */
  readonly type: "ended";
  /** How the function ended. */
  readonly outcome: "returned" | "threw";
  /** What it threw, if it threw. */
  readonly error?: ErrorInfo;
}

/** UDP task: the function threw for one datagram; the task goes on. */
export interface DatagramFailedMessage {
  /** Always `datagram-failed`. */
  readonly type: "datagram-failed";
  /** What the function threw. */
  readonly error: ErrorInfo;
}

/** A KSR log record, to be written by the host's logging. */
export interface LogMessage {
  /** Always `log`. */
  readonly type: "log";
  /** The record's level. */
  readonly level: WorkerLogLevel;
  /** The record's text. */
  readonly message: string;
}

/** RPC role: the run answered; `json` is the return value as JSON text. */
export interface ResultMessage {
  /** Always `result`. */
  readonly type: "result";
  /** The id of the run answered. */
  readonly id: number;
  /** The return value as JSON text. */
  readonly json: string;
}

/** RPC role: the run threw, or its value cannot be sent as JSON. */
export interface RunFailedMessage {
  /** Always `run-failed`. */
  readonly type: "run-failed";
  /** The id of the run answered. */
  readonly id: number;
  /** Whether the function threw or its value has no JSON form. */
  readonly reason: "threw" | "not-json";
  /** What was thrown, or why the value has no JSON form. */
  readonly error: ErrorInfo;
}

/** The worker's answer to a {@link StatsRequest}: its isolate's heap in use, in bytes. */
export interface StatsMessage {
  /** Always `stats`. */
  readonly type: "stats";
  /** The isolate's heap in use, in bytes. */
  readonly heapUsed: number;
}

/** Timer task: the call of tick `id` has begun. */
export interface TickStartedMessage {
  /** Always `tick-started`. */
  readonly type: "tick-started";
  /** The tick's id. */
  readonly id: number;
}

/**
 * Timer task: the call of tick `id` ended after `ms` milliseconds (with
 * `error` if it threw or rejected), or was not made (`ran` false: stopping).
 */
export interface TickEndedMessage {
  /** Always `tick-ended`. */
  readonly type: "tick-ended";
  /** The tick's id. */
  readonly id: number;
  /** False when the call was not made (the worker stops). */
  readonly ran: boolean;
  /** How long the call took, in ms. */
  readonly ms: number;
  /** What the call threw, if it threw. */
  readonly error?: ErrorInfo;
}

/**
 * The answer to a {@link StopMessage}: `watched` is true when the script's
 * code has read `KSR.shutdown` (it may end on it), false when it never has.
 */
export interface StopAckMessage {
  /** Always `stop-ack`. */
  readonly type: "stop-ack";
  /** True when the script's code has read `KSR.shutdown`. */
  readonly watched: boolean;
}

/** From a group's thread: `message` comes from invocation `inv`. */
export interface FromInvocationMessage {
  /** Always `from-inv`. */
  readonly type: "from-inv";
  /** The invocation it comes from. */
  readonly inv: number;
  /** What a worker of its own would send. */
  readonly message: WorkerToHost;
}

/** Messages from a worker to the host. */
export type WorkerToHost =
  | FromInvocationMessage
  | StatsMessage
  | StopAckMessage
  | LoadedMessage
  | LoadFailedMessage
  | BoundMessage
  | BindFailedMessage
  | EnteredMessage
  | EndedMessage
  | DatagramFailedMessage
  | LogMessage
  | ResultMessage
  | RunFailedMessage
  | TickStartedMessage
  | TickEndedMessage;
