/**
 * The fleet's methods (`--cluster`): `evrexec.submit FUNC [DATA] [KEY]`
 * queues a durable call that any host of the fleet may run, `evrexec.result
 * ID [WAIT_MS]` reads (or waits for) its outcome, and `evrexec.cluster` shows
 * the nodes, who holds each singleton task, and the queue. On a host without
 * `--cluster` each answers one error that says so.
 *
 * @module
 */

import type { HostAccess } from "../host_access.ts";
import type { Fleet } from "../fleet.ts";
import type { MethodMap } from "../../rpc/dispatch.ts";
import { RpcCode, RpcError } from "../../rpc/errors.ts";
import { badParams, stringParam } from "../../rpc/params.ts";
import { exportedFunctions } from "../script_exports.ts";
import { quoteValue } from "../../shared/quote.ts";
import { messageOf } from "../../shared/error_text.ts";
import { jobRequestProblem } from "../../cluster/jobs.ts";
import { type JobResult, MAX_RESULT_WAIT_MS } from "../../cluster/job_results.ts";
import { isUnavailable } from "../../cluster/cluster_error.ts";

function fleetOf(host: HostAccess): Fleet {
  if (host.fleet === null) {
    throw new RpcError(
      RpcCode.INVALID_REQUEST,
      "this host is not in a fleet: start it with --cluster postgres://… to use the durable calls",
    );
  }
  return host.fleet;
}

/** Runs a store operation; a lost database is one clear error. */
async function stored<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof RpcError) throw error;
    if (isUnavailable(error)) {
      throw new RpcError(
        RpcCode.CLUSTER_UNAVAILABLE,
        `${what}: the cluster database is out of reach: ${messageOf(error).slice(0, 300)}`,
      );
    }
    throw new RpcError(RpcCode.INTERNAL_ERROR, `${what}: ${messageOf(error).slice(0, 300)}`);
  }
}

/** Data as the function receives it: strings as they are, the rest as JSON. */
function dataText(data: unknown): string {
  if (data === undefined) return "";
  return typeof data === "string" ? data : JSON.stringify(data);
}

/** A job id param: a positive whole number, as a number or its text. */
function idParam(value: unknown): number {
  const n = typeof value === "string" && /^[0-9]{1,15}$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1) {
    throw badParams("id must be a positive whole number (the answer of evrexec.submit)");
  }
  return n;
}

/** A wait param: ms from 0 to the most a call may wait. */
function waitParam(value: unknown): number {
  if (value === undefined) return 0;
  const n = typeof value === "string" && /^[0-9]{1,9}$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > MAX_RESULT_WAIT_MS) {
    throw badParams(`wait_ms must be a whole number from 0 to ${MAX_RESULT_WAIT_MS}`);
  }
  return n;
}

/** A call as `evrexec.result` answers it. */
function resultInfo(job: JobResult) {
  let result: unknown = null;
  if (job.json !== null) {
    try {
      result = JSON.parse(job.json);
    } catch {
      result = job.json;
    }
  }
  return {
    id: job.id,
    function: job.fn,
    state: job.state,
    attempts: job.attempts,
    node: job.node,
    result,
    error: job.error,
    submitted_at: new Date(job.submittedAt).toISOString(),
    finished_at: job.finishedAt === null ? null : new Date(job.finishedAt).toISOString(),
  };
}

/** Adds `evrexec.submit`, `evrexec.result` and `evrexec.cluster` to `methods`. */
export function addClusterMethods(methods: MethodMap, host: HostAccess): void {
  methods.set("evrexec.submit", {
    params: [{ name: "name" }, { name: "data", optional: true }, { name: "key", optional: true }],
    help:
      "Queues a durable call of an exported function for any host of the fleet; answers its id at once (evrexec.result reads the outcome). With an idempotency key it runs at most once, and a second submit with the key answers the first id.",
    async call(values) {
      const fleet = fleetOf(host);
      const fn = stringParam(values, "name");
      const key = values.key === undefined ? undefined : stringParam(values, "key");
      const data = dataText(values.data);
      const problem = jobRequestProblem({ fn, data, key });
      if (problem !== null) throw badParams(problem);
      if (!host.pool.exports(fn)) {
        throw new RpcError(
          RpcCode.INVALID_PARAMS,
          `unknown function ${quoteValue(fn)} (${exportedFunctions(host.pool.functions)})`,
        );
      }
      const got = await stored(
        "evrexec.submit",
        () => fleet.store.jobs.submit({ fn, data, key }, fleet.node.name),
      );
      return { id: got.id, created: got.created };
    },
  });
  methods.set("evrexec.result", {
    params: [{ name: "id" }, { name: "wait_ms", optional: true }],
    help:
      "A submitted call: its state (queued, running, done, failed), result or error, attempts and node; waits up to wait_ms (default 0) for it to finish.",
    async call(values) {
      const fleet = fleetOf(host);
      const id = idParam(values.id);
      const wait = waitParam(values.wait_ms);
      const job = await stored("evrexec.result", () => fleet.store.results.wait(id, wait));
      if (job === null) {
        throw new RpcError(
          RpcCode.INVALID_PARAMS,
          `no submitted call ${id} (never submitted, or pruned after it finished)`,
        );
      }
      return resultInfo(job);
    },
  });
  methods.set("evrexec.cluster", {
    params: [],
    help:
      "The fleet: this node, the database, each node (last seen, version), who holds each singleton task and until when, and the submit queue.",
    async call() {
      const fleet = fleetOf(host);
      const problem = fleet.problem();
      const view = await stored("evrexec.cluster", () => fleet.store.view());
      return {
        node: fleet.node.name,
        schema: fleet.store.names.schema,
        database: problem ?? "ok",
        db_time: new Date(view.dbNow).toISOString(),
        nodes: view.nodes.map((node) => ({
          name: node.name,
          live: node.live,
          last_seen_ms_ago: Math.round(node.lastSeenMsAgo),
          version: node.version,
          hostname: node.hostname,
          pid: node.pid,
          started_at: new Date(node.startedAt).toISOString(),
        })),
        singletons: fleet.singletons.map((singleton) => {
          const lease = view.leases.find((row) => row.name === singleton.task);
          return {
            task: singleton.task,
            holder: lease?.live ? lease.holder : null,
            token: lease?.live ? lease.token : null,
            until: lease?.live ? new Date(view.dbNow + lease.remainingMs).toISOString() : null,
            here: singleton.status().state,
          };
        }),
        leases: view.leases.map((lease) => ({
          name: lease.name,
          holder: lease.holder,
          token: lease.token,
          live: lease.live,
          until: new Date(view.dbNow + lease.remainingMs).toISOString(),
        })),
        queue: {
          queued: view.queue.queued,
          running: view.queue.running,
          expired: view.queue.expired,
          oldest_queued_ms: view.queue.oldestQueuedMs,
        },
        running_here: fleet.jobs.running,
      };
    },
  });
}
