/**
 * `stats.*` methods, as Kamailio's kex module names and shapes them:
 * `stats.get_statistics`, `stats.reset_statistics`, `stats.clear_statistics`.
 *
 * @module
 */

import type { HostAccess } from "../host_access.ts";
import type { MethodMap } from "../../rpc/dispatch.ts";
import { resetRows, selectRows, statLine, statRows } from "../../observe/stat_rows.ts";
import { badParams } from "../../rpc/params.ts";

/** The stat names of a call: one or more strings, as positional params or `names`. */
function statNames(method: string, values: Record<string, unknown>): string[] {
  const given = values.names;
  const names = typeof given === "string" ? [given] : Array.isArray(given) ? given : [];
  if (names.length === 0 || !names.every((name) => typeof name === "string" && name !== "")) {
    throw badParams(`${method} takes one or more of: all, GROUP: (e.g. evrexec:), NAME`);
  }
  return names as string[];
}

/** Adds the `stats.*` methods to `methods`. */
export function addStatsMethods(methods: MethodMap, host: HostAccess): void {
  const params = [{ name: "names", rest: true, optional: true }];
  methods.set("stats.get_statistics", {
    params,
    help:
      'Statistics as "group:name = value" lines: all, a GROUP: (evrexec, task, function, rpc) or a NAME.',
    call(values) {
      const names = statNames("stats.get_statistics", values);
      return selectRows(statRows(host), names).map(statLine);
    },
  });
  methods.set("stats.reset_statistics", {
    params,
    help: "Sets the chosen counters back to 0 (all, a GROUP: or a NAME); gauges are left alone.",
    call(values) {
      const names = statNames("stats.reset_statistics", values);
      resetRows(host, selectRows(statRows(host), names));
      return {};
    },
  });
  methods.set("stats.clear_statistics", {
    params,
    help: "Answers the chosen statistics as stats.get_statistics does, then resets their counters.",
    call(values) {
      const rows = selectRows(statRows(host), statNames("stats.clear_statistics", values));
      resetRows(host, rows);
      return rows.map(statLine);
    },
  });
}
