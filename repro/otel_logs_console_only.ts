// Deno's built-in OpenTelemetry makes log records of console calls only:
// Deno.telemetry has a tracer and a meter provider but no logger provider,
// and a console of one's own (node:console's Console on a stream) is not
// exported. So a log record joined to a span can only be made by calling the
// global console, which also prints the line.
//
//   deno run --allow-net --allow-env --allow-run repro/otel_logs_console_only.ts
//
// Deno 2.9.6 prints
//   Deno.telemetry: tracerProvider, contextManager, meterProvider (no logger provider)
//   LOUD (the global console: printed, and exported with the span's ids)
//   exported log bodies: ["LOUD"]
import { Console } from "node:console";
import { Writable } from "node:stream";

const bodies: string[] = [];
const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
  const text = await request.text();
  if (new URL(request.url).pathname === "/v1/logs") {
    for (const match of text.matchAll(/"stringValue":\s*"(QUIET|LOUD)/g)) bodies.push(match[1]);
  }
  return new Response("{}", { headers: { "content-type": "application/json" } });
});
const keys = Object.keys((Deno as unknown as { telemetry: object }).telemetry);
// Deno reads the endpoint when it starts: relaunch once with it pointing here.
if (Deno.env.get("REPRO_CHILD") === undefined) {
  console.log(`Deno.telemetry: ${keys.join(", ")} (no logger provider)`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", "--allow-run", new URL(import.meta.url).pathname],
    env: {
      REPRO_CHILD: "1",
      OTEL_DENO: "true",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.addr.port}`,
    },
    stdout: "inherit",
    stderr: "inherit",
  });
  await child.output();
  await new Promise((resolve) => setTimeout(resolve, 300));
  console.log(`exported log bodies: ${JSON.stringify(bodies)}`);
} else {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const quiet = new Console({ stdout: sink, stderr: sink });
  type Tracer = { startActiveSpan(name: string, fn: (span: { end(): void }) => void): void };
  const telemetry = (Deno as unknown as {
    telemetry: { tracerProvider: { getTracer(name: string): Tracer } };
  }).telemetry;
  telemetry.tracerProvider.getTracer("repro").startActiveSpan("run", (span) => {
    quiet.log("QUIET (a console of its own: not exported)");
    console.log("LOUD (the global console: printed, and exported with the span's ids)");
    span.end();
  });
}
await receiver.shutdown();
