/**
 * `evrexec.reopen_log`: reopens the `--log-file` at its path, as SIGUSR2
 * does (logrotate moved the file away), and tells how it went.
 *
 * @module
 */

import { log, reopenLogFile } from "../../base/log.ts";
import { messageOf } from "../../shared/error_text.ts";
import { RpcCode, RpcError } from "../../rpc/errors.ts";
import type { MethodMap } from "../../rpc/dispatch.ts";

/** Adds `evrexec.reopen_log` to `methods`. */
export function addLogReopenMethod(methods: MethodMap): void {
  methods.set("evrexec.reopen_log", {
    params: [],
    help:
      "Reopens the --log-file at its path (after logrotate moved it), as SIGUSR2 does; answers the path, or null without --log-file.",
    async call() {
      let path: string | null;
      try {
        path = await reopenLogFile();
      } catch (error) {
        throw new RpcError(RpcCode.INTERNAL_ERROR, messageOf(error));
      }
      if (path !== null) log().info("evrexec.reopen_log: reopened the log file {path}", { path });
      return { log_file: path };
    },
  });
}
