// OpenTelemetry (issue 25): with OTEL_DENO=true the host exports, to a real
// OTLP/HTTP receiver started here (JSON protocol): one span per run (RPC
// calls as server spans, children of the caller's traceparent; loop runs and
// ticks as internal spans), KSR log records joined to their span, spans of
// supervision, and its counters as metrics with the /metrics names.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { fixture, startHost } from "./helpers/host.ts";

const TRACED = fixture("traced.ts");
const CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c";
const CALLER_SPAN = "b7ad6b7169203331";
const TRACEPARENT = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;

// deno-lint-ignore no-explicit-any
type Json = any; // OTLP JSON as the receiver got it

/** A receiver of OTLP/HTTP JSON: keeps every body it gets, by path. */
function startReceiver() {
  const bodies: { path: string; body: Json }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/ping") return new Response("pong");
    const text = await request.text();
    try {
      bodies.push({ path, body: JSON.parse(text) });
    } catch {
      bodies.push({ path, body: { notJson: text.slice(0, 200) } });
    }
    return new Response("{}", { headers: { "content-type": "application/json" } });
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  const spans = (): Json[] =>
    bodies.filter((b) => b.path === "/v1/traces").flatMap((b) =>
      b.body.resourceSpans.flatMap((r: Json) => r.scopeSpans.flatMap((s: Json) => s.spans))
    );
  const logs = (): Json[] =>
    bodies.filter((b) => b.path === "/v1/logs").flatMap((b) =>
      b.body.resourceLogs.flatMap((r: Json) => r.scopeLogs.flatMap((s: Json) => s.logRecords))
    );
  const metrics = (): Json[] =>
    bodies.filter((b) => b.path === "/v1/metrics").flatMap((b) =>
      b.body.resourceMetrics.flatMap((r: Json) => r.scopeMetrics.flatMap((s: Json) => s.metrics))
    );
  return { server, url, bodies, spans, logs, metrics };
}

function udpSocket(): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket("udp4");
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => resolve(socket));
  });
}

async function freeUdpPort(): Promise<number> {
  const socket = await udpSocket();
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** An attribute's value, whatever its OTLP type. */
function attr(item: Json, key: string): unknown {
  const value = item.attributes?.find((a: Json) => a.key === key)?.value;
  if (value === undefined) return undefined;
  if ("stringValue" in value) return value.stringValue;
  if ("intValue" in value) return Number(value.intValue);
  if ("doubleValue" in value) return value.doubleValue;
  if ("boolValue" in value) return value.boolValue;
  return value;
}

const otelEnv = (url: string) => ({
  OTEL_DENO: "true",
  OTEL_EXPORTER_OTLP_ENDPOINT: url,
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
  OTEL_METRIC_EXPORT_INTERVAL: "500",
  OTEL_BSP_SCHEDULE_DELAY: "200",
  OTEL_BLRP_SCHEDULE_DELAY: "200",
  OTEL_SERVICE_NAME: "evrexec-test",
});

Deno.test("OpenTelemetry: spans per run, the caller's parent, logs joined to spans, metrics", async () => {
  const receiver = startReceiver();
  /** Every expectation on what the receiver got; throws while something is missing. */
  const check = () => {
    const spans = receiver.spans();
    const named = (name: string) => spans.filter((s) => s.name === name);
    const greet = named("evrexec.run greet");
    assert.equal(greet.length, 2, `spans: ${spans.map((s) => s.name).join(", ")}`);
    for (const span of greet) {
      assert.equal(span.traceId, CALLER_TRACE);
      assert.equal(span.parentSpanId, CALLER_SPAN);
      assert.equal(span.kind, 2, "server");
      assert.equal(attr(span, "evrexec.task"), "rpc");
      assert.equal(attr(span, "evrexec.trigger"), "rpc");
      assert.equal(attr(span, "evrexec.function"), "greet");
      assert.equal(attr(span, "evrexec.outcome"), "ok");
      assert.equal(typeof attr(span, "evrexec.worker.index"), "number");
      assert.match(String(attr(span, "evrexec.fire_time")), /^\d{4}-\d\d-\d\dT/);
    }
    const [failed] = named("evrexec.run fails");
    assert.equal(failed.parentSpanId, "", "no caller trace: a root span");
    assert.equal(failed.status.code, 2);
    assert.match(failed.status.message, /traced failure/);
    assert.equal(attr(failed, "evrexec.outcome"), "threw");
    // the worker's fetch is a child of the call's span: the span tree crosses the shared channel
    const [fetches] = named("evrexec.run fetches");
    const children = spans.filter((s) => s.parentSpanId === fetches.spanId);
    assert.equal(children.length, 1, JSON.stringify(spans.map((s) => [s.name, s.parentSpanId])));
    assert.equal(children[0].traceId, fetches.traceId);
    assert.equal(children[0].kind, 3, "client");
    const ticks = named("evrexec.run tick");
    assert.ok(ticks.length >= 2, `${ticks.length} tick spans`);
    for (const span of ticks) {
      assert.equal(span.kind, 1, "internal");
      assert.ok(["tick", "sharedtick"].includes(String(attr(span, "evrexec.task"))));
      assert.equal(attr(span, "evrexec.worker.index"), 0);
      assert.match(String(attr(span, "evrexec.fire_time")), /^\d{4}-/);
    }
    // a task on a shared thread (isolation=shared): its ticks are spans, its records joined
    const sharedTicks = ticks.filter((s) => attr(s, "evrexec.task") === "sharedtick");
    assert.ok(sharedTicks.length >= 1, "no span of the shared task's ticks");
    const tickLogs = receiver.logs().filter((l) => l.body?.stringValue === "tick of worker 0\n");
    assert.ok(
      sharedTicks.some((s) => tickLogs.some((l) => l.spanId === s.spanId)),
      "a record of the shared task joined to its tick's span",
    );
    const triggers = ticks.filter((s) => attr(s, "evrexec.task") === "tick")
      .map((s) => attr(s, "evrexec.trigger"));
    assert.ok(triggers.includes("schedule") && triggers.includes("trigger"), String(triggers));
    const [datagram] = named("evrexec.run datagram");
    assert.ok(datagram, `no datagram span: ${[...new Set(spans.map((s) => s.name))].join(", ")}`);
    assert.equal(datagram.kind, 2, "server: a client sent it");
    assert.equal(attr(datagram, "evrexec.task"), "datagram");
    assert.equal(attr(datagram, "evrexec.trigger"), "datagram");
    assert.equal(attr(datagram, "client.address"), "127.0.0.1");
    assert.equal(attr(datagram, "client.port"), udpClientPort);
    const datagramLog = receiver.logs().find((l) => l.body?.stringValue === "datagram over udp\n");
    assert.equal(datagramLog?.spanId, datagram.spanId, "its KSR record joined to its span");
    const [loop] = named("evrexec.run loop");
    assert.equal(attr(loop, "evrexec.trigger"), "start");
    assert.equal(attr(loop, "evrexec.outcome"), "returned");
    const crash = named("evrexec.run crashes")[0];
    assert.equal(crash.status.code, 2);
    for (const what of ["failure", "backoff", "restart"]) {
      const [span] = named(`evrexec.worker.${what}`).filter((s) =>
        attr(s, "evrexec.task") === "crashes"
      );
      assert.ok(span, `no evrexec.worker.${what} span`);
    }
    // a KSR log record carries its run's trace and span
    const logs = receiver.logs();
    const greeting = logs.find((l) => l.body?.stringValue === "greeting otel\n");
    assert.ok(greeting, `log bodies: ${logs.map((l) => JSON.stringify(l.body)).slice(0, 10)}`);
    assert.equal(greeting.traceId, CALLER_TRACE);
    assert.ok(greet.some((s) => s.spanId === greeting.spanId), "joined to the call's span");
    const tickLog = logs.find((l) => l.body?.stringValue === "tick of worker 0\n");
    assert.ok(ticks.some((s) => s.spanId === tickLog.spanId && s.traceId === tickLog.traceId));
    // the host's counters, with the names of /metrics
    const metrics = receiver.metrics();
    const calls = metrics.filter((m) => m.name === "evrexec_run_calls_total");
    assert.ok(calls.length > 0, `metrics: ${[...new Set(metrics.map((m) => m.name))].join(", ")}`);
    const points = calls.flatMap((m) => m.sum.dataPoints);
    const greetCalls = points.filter((p: Json) => attr(p, "function") === "greet")
      .map((p: Json) => Number(p.asInt ?? p.asDouble));
    assert.equal(Math.max(...greetCalls), 2);
    for (
      const name of ["evrexec_task_restarts_total", "evrexec_workers", "evrexec_rpc_queue_length"]
    ) {
      assert.ok(metrics.some((m) => m.name === name), name);
    }
  };
  const udpClient = await udpSocket();
  const udpClientPort = udpClient.address().port;
  const udpPort = await freeUdpPort();
  const host = await startHost(TRACED, {
    exec: [
      "name=tick;every=300ms",
      "name=sharedtick;function=tick;every=300ms;isolation=shared",
      "name=loop",
      "name=crashes;restart=on-failure",
      `name=datagram;sockaddr=udp:127.0.0.1:${udpPort}`,
    ],
    env: otelEnv(receiver.url),
  });
  try {
    await host.waitFor(new RegExp(`listening on udp:127.0.0.1:${udpPort}`));
    await new Promise<void>((resolve, reject) =>
      udpClient.send("over udp", udpPort, "127.0.0.1", (e) => e ? reject(e) : resolve())
    );
    const client = await host.client();
    const named = { name: "greet", data: "otel", metadata: { traceparent: TRACEPARENT } };
    assert.equal(await client.call("evrexec.run", named), "hi otel");
    assert.equal(
      await client.call("evrexec.run", ["greet", "positional", { traceparent: TRACEPARENT }]),
      "hi positional",
    );
    await assert.rejects(client.call("evrexec.run", ["fails", ""]), /traced failure/);
    assert.equal(await client.call("evrexec.run", ["fetches", `${receiver.url}/ping`]), 200);
    await client.call("evrexec.trigger", ["tick"]);
    for (
      const [metadata, why] of [
        [{ traceparent: "00-nope" }, /metadata\.traceparent must be a W3C traceparent/],
        [{ traceparent: `00-${"0".repeat(32)}-${CALLER_SPAN}-01` }, /W3C traceparent/],
        ["text", /metadata must be an object/],
      ] as const
    ) {
      await assert.rejects(client.call("evrexec.run", ["greet", "", metadata]), (error: Error) => {
        assert.match(error.message, why);
        assert.match(error.message, /invalid params/);
        return true;
      });
    }
    // everything is exported while the host runs (short batch delays), checked until it is there
    const until = Date.now() + 20_000;
    while (true) {
      try {
        check();
        break;
      } catch (error) {
        if (Date.now() > until) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  } finally {
    udpClient.close();
    const exit = await host.stop("SIGTERM", 15_000);
    await host.cleanup();
    await receiver.server.shutdown();
    // Deno 2.9.6 with OTEL_DENO=true sometimes never ends after the host has stopped (see
    // docs/observability.md): the helper kills it then; the host's own stop must have ended.
    if (exit.code === 137 && /\[INF\] evrexec: stopped/.test(exit.stderr)) {
      console.log("the host stopped, and Deno did not end within 15 s (killed): a known Deno gap");
    } else assert.equal(exit.code, 0, exit.stderr.slice(-2000));
  }
});

Deno.test("OpenTelemetry off: nothing is exported, and a traceparent is still checked", async () => {
  const receiver = startReceiver();
  const { OTEL_DENO: _, ...env } = otelEnv(receiver.url);
  const host = await startHost(TRACED, { exec: ["name=tick;every=300ms"], env });
  try {
    const client = await host.client();
    assert.equal(
      await client.call("evrexec.run", ["greet", "x", { traceparent: TRACEPARENT }]),
      "hi x",
    );
    await assert.rejects(client.call("evrexec.run", ["greet", "", { traceparent: 5 }]), /W3C/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  } finally {
    await host.stop();
    await host.cleanup();
    await receiver.server.shutdown();
  }
  assert.deepEqual(receiver.bodies.map((b) => b.path), []);
});
