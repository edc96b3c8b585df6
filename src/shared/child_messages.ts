/**
 * What a process worker's relay (`worker/process_main.ts`) sends the host
 * besides its script worker's own messages, over the child's IPC channel.
 *
 * @module
 */

import type { ErrorInfo, WorkerToHost } from "./messages.ts";

/** The script's worker inside the child died of an uncaught error; the child exits. */
export interface WorkerErrorMessage {
  /** Always `worker-error`. */
  readonly type: "worker-error";
  /** The uncaught error. */
  readonly error: ErrorInfo;
}

/** Messages from a child process to the host. */
export type ChildToHost = WorkerToHost | WorkerErrorMessage;
